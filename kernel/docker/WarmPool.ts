import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { HabitatError } from '../../shared/protocol/index.js';
import { createHome, HOME_SKELETON } from '../fs/index.js';
import type { ContainerAgent } from './ContainerAgent.js';
import type { ContainerSpec } from './containerConfig.js';
import type { DockerSandbox } from './DockerSandbox.js';

export interface WarmPoolOptions {
  /** Spares kept ready per image; 0 turns the pool off. */
  size: number;
  /** Where spares' homes live until claimed: on the same filesystem as the agents' homes (they are renamed). */
  dir: string;
  /** The kernel's boot: spares carry it, so the next boot knows them for leftovers. */
  bootId: string;
  /** The image of agents whose spec names none. */
  defaultImage: string;
  /** Fill at once for these images; otherwise an image's pool fills after its first container spawn. */
  prefill?: string[];
  /** Where background failures go (a full disk, a dead daemon); the pool retries on the next claim. */
  onError?(error: unknown): void;
}

interface Spare {
  agent: ContainerAgent;
  home: string;
}

interface ImagePool {
  ready: Spare[];
  creating: number;
  /** Set after a creation failed: no retry loop against a broken engine, the next claim tries again. */
  failed: boolean;
}

export interface WarmPoolStatus {
  image: string;
  ready: number;
  creating: number;
}

/**
 * Containers created and started ahead of need, per image, so that a spawn only renames one and opens its shell.
 * Spares are made one at a time in the background (a pool refilling must not crowd out the spawns it serves), are
 * removed when the kernel closes, and any a crash leaves behind are removed by the next boot's reconciliation
 * (their labels name no agent).
 */
export class WarmPool {
  private readonly pools = new Map<string, ImagePool>();
  private slot = 0;
  private closed = false;
  private work: Promise<void> = Promise.resolve();

  constructor(
    private readonly sandbox: DockerSandbox,
    private readonly options: WarmPoolOptions,
  ) {}

  /** Clears what a previous run left in the spares' folder, then starts filling the prefilled images. */
  async start(): Promise<void> {
    await fsp.rm(this.options.dir, { recursive: true, force: true });
    await fsp.mkdir(this.options.dir, { recursive: true, mode: 0o700 });
    for (const image of this.options.prefill ?? []) this.refill(image);
  }

  status(): WarmPoolStatus[] {
    return [...this.pools].map(([image, pool]) => ({
      image,
      ready: pool.ready.length,
      creating: pool.creating,
    }));
  }

  /** The ids of the spares ready now. */
  spareIds(): string[] {
    return [...this.pools.values()].flatMap((pool) => pool.ready.map((spare) => spare.agent.id));
  }

  /**
   * A ready container for this agent, renamed and limited, with its home moved to `spec.home`; undefined when the
   * pool is off, empty, or the spec needs what a spare lacks (network, other mounts), or its home is more than the
   * fresh skeleton (a restored or forked agent's, which the spare's empty home must not replace): then create one
   * cold.
   */
  async claim(spec: ContainerSpec): Promise<ContainerAgent | undefined> {
    if (this.options.size === 0 || this.closed || !this.sandbox.canUseSpare(spec)) return undefined;
    if (!(await isFreshHome(spec.home))) return undefined;
    const image = spec.image ?? this.options.defaultImage;
    const pool = this.pool(image);
    pool.failed = false;
    const spare = await this.takeRunning(image, pool);
    if (!spare) return undefined;
    try {
      const agent = await this.sandbox.claimSpare(spare.agent, spec);
      await moveHome(spare.home, spec.home);
      return agent;
    } catch (error) {
      await this.discard(spare);
      if (isConflict(error)) throw error;
      this.options.onError?.(error);
      return undefined; // a cold container still serves the spawn
    }
  }

  /**
   * The first ready spare that still runs, refilling behind it. One that stopped behind the pool's back (a daemon
   * restart, an OOM kill, `docker kill`) would fail every exec of the agent that got it: it is removed instead, and
   * the next one tried. Only the spares ready now are tried; undefined if none runs (a cold container then).
   */
  private async takeRunning(image: string, pool: ImagePool): Promise<Spare | undefined> {
    for (let tries = pool.ready.length; tries > 0; tries--) {
      const spare = pool.ready.shift();
      this.refill(image);
      if (!spare) break;
      try {
        const state = await spare.agent.state();
        if (state.running && !state.paused) return spare;
        const why = state.oomKilled ? `${state.status}, killed for memory` : state.status;
        this.options.onError?.(
          new HabitatError(
            'E_UNAVAILABLE',
            `the spare container ${spare.agent.name} had stopped (${why}): replaced`,
          ),
        );
      } catch (error) {
        this.options.onError?.(error);
      }
      await this.discard(spare);
    }
    this.refill(image);
    return undefined;
  }

  /** Removes every spare and waits for creations under way. */
  async close(): Promise<void> {
    this.closed = true;
    await this.work;
    const spares = [...this.pools.values()].flatMap((pool) => pool.ready.splice(0));
    await Promise.allSettled(spares.map((spare) => this.discard(spare)));
    await fsp.rm(this.options.dir, { recursive: true, force: true }).catch(() => undefined);
  }

  private pool(image: string): ImagePool {
    let pool = this.pools.get(image);
    if (!pool) {
      pool = { ready: [], creating: 0, failed: false };
      this.pools.set(image, pool);
    }
    return pool;
  }

  private refill(image: string): void {
    const pool = this.pool(image);
    const missing = this.options.size - pool.ready.length - pool.creating;
    for (let i = 0; i < missing; i++) {
      pool.creating++;
      this.work = this.work.then(() => this.createOne(image, pool));
    }
  }

  private async createOne(image: string, pool: ImagePool): Promise<void> {
    try {
      if (this.closed || pool.failed) return;
      const slot = ++this.slot;
      const home = await createHome(this.options.dir, slot);
      try {
        const agent = await this.sandbox.createSpare({ slot, bootId: this.options.bootId, home, image });
        if (this.closed) await this.discard({ agent, home });
        else pool.ready.push({ agent, home });
      } catch (error) {
        await fsp.rm(home, { recursive: true, force: true }).catch(() => undefined);
        throw error;
      }
    } catch (error) {
      pool.failed = true;
      this.options.onError?.(error);
    } finally {
      pool.creating--;
    }
  }

  private async discard(spare: Spare): Promise<void> {
    await spare.agent.remove().catch(() => undefined);
    await fsp.rm(spare.home, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Whether a home holds exactly what createHome puts there: the skeleton's empty folders and the README. Only such a
 * home may be swapped for a spare's, which has the same skeleton; anything else in it (a restored snapshot, a fork)
 * would be lost.
 */
async function isFreshHome(home: string): Promise<boolean> {
  const folders = new Set<string>(HOME_SKELETON);
  let seen = 0;
  const walk = async (dir: string, prefix: string): Promise<boolean> => {
    for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
      const path = prefix + entry.name;
      if (path === 'README.md' && entry.isFile()) continue;
      if (!entry.isDirectory() || !folders.has(path)) return false;
      seen++;
      if (!(await walk(join(dir, entry.name), `${path}/`))) return false;
    }
    return true;
  };
  try {
    return (await walk(home, '')) && seen === folders.size;
  } catch {
    return false; // unreadable: leave it to a cold container, which mounts it as it is
  }
}

/**
 * The kernel made the agent's home a moment ago from the skeleton; the spare's home has the same skeleton and is
 * what the container has mounted. The agent's own README goes into the spare's home, which then takes the agent
 * home's place (a rename on one filesystem: the container's bind mount follows the folder). The agent's home is
 * taken apart folder by folder, never removed recursively: should anything have been written into it meanwhile,
 * the move stops and the home is left as it was.
 */
async function moveHome(spareHome: string, home: string): Promise<void> {
  const owner = await fsp.stat(spareHome);
  const readme = join(spareHome, 'README.md');
  await fsp.rename(join(home, 'README.md'), readme);
  // deepest first: each rmdir fails (ENOTEMPTY) rather than delete what it did not expect
  const folders = [...HOME_SKELETON].sort((a, b) => b.split('/').length - a.split('/').length);
  try {
    for (const folder of folders) await fsp.rmdir(join(home, folder));
    await fsp.rmdir(home);
  } catch (error) {
    for (const folder of HOME_SKELETON)
      await fsp.mkdir(join(home, folder), { recursive: true, mode: 0o755 }).catch(() => undefined);
    await fsp.rename(readme, join(home, 'README.md')).catch(() => undefined);
    throw error;
  }
  if (process.getuid?.() === 0) await fsp.lchown(readme, owner.uid, owner.gid);
  await fsp.rename(spareHome, home);
}

function isConflict(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'E_CONFLICT';
}
