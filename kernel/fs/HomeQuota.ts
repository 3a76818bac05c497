import { HabitatError } from '../../shared/protocol/index.js';
import { display } from './errors.js';
import type { HomeResolver } from './resolver.js';
import { treeSize, type ByteBudget } from './tree.js';

/**
 * A home's disk quota: what its regular files hold (each inode once), measured by walking the tree and kept for a
 * moment, during which writes adjust the figure rather than walk again. The caller serialises the operations that
 * change the home, so the figure stays exact between them.
 */
export class HomeQuota {
  private cache: { bytes: number; at: number } | undefined;

  constructor(
    private readonly resolver: HomeResolver,
    readonly quotaBytes: number,
    private readonly cacheMs: number,
  ) {}

  /** Bytes used, measured now. */
  async measure(): Promise<number> {
    const at = Date.now();
    const root = await this.resolver.openRoot();
    try {
      const bytes = await treeSize(this.resolver, root);
      this.cache = { bytes, at };
      return bytes;
    } finally {
      await root.close();
    }
  }

  /** Refuses (E_LIMIT) unless `bytes` fit in the quota once `reclaimed` bytes are freed; returns the budget left. */
  async reserve(bytes: number, reclaimed: number, components: readonly string[]): Promise<ByteBudget> {
    const cached = this.cache;
    const used = cached && Date.now() - cached.at < this.cacheMs ? cached.bytes : await this.measure();
    const remaining = this.quotaBytes - used + reclaimed;
    if (bytes > remaining) {
      throw new HabitatError(
        'E_LIMIT',
        `${display(components)}: ${bytes} bytes would take the agent's home over its quota ` +
          `(${used} of ${this.quotaBytes} bytes used)`,
        { used, quota: this.quotaBytes, bytes },
      );
    }
    return { remaining };
  }

  /** Bytes a change added (or freed, when negative). */
  adjust(delta: number): void {
    if (this.cache) this.cache.bytes += delta;
  }

  /** Freed bytes whose count is not known: the next check measures again. */
  forget(): void {
    this.cache = undefined;
  }
}
