import { promises as fsp } from 'node:fs';
import {
  DEFAULT_CHECKPOINTS_KEPT,
  HabitatError,
  type CheckpointSettings,
} from '../../shared/protocol/index.js';
import { MAX_MANIFEST_BYTES } from './manifest.js';
import { corrupted, type ObjectStore } from './objects.js';
import type { Refs } from './refs.js';

const DEFAULT_KEEP = DEFAULT_CHECKPOINTS_KEPT;
export const MAX_KEEP = 1000;
/** A checkpoint is asked for at a step boundary: the loop gets there at once, so this is only a safety net. */
export const CHECKPOINT_WAIT_MS = 5_000;

/** An agent's checkpoint setting, as its process record keeps it (config.checkpoints = { keep }, or none). */
export function checkpointSetting(pid: number, config: Record<string, unknown>): CheckpointSettings {
  const stored = config.checkpoints as { keep?: unknown } | undefined;
  const keep = stored?.keep;
  const valid = typeof keep === 'number' && Number.isInteger(keep) && keep >= 1 && keep <= MAX_KEEP;
  return { pid, enabled: valid, keep: valid ? keep : DEFAULT_KEEP };
}

/** The stored form of a change: on with its count, or off (the key removed). */
export function checkpointConfig(
  current: CheckpointSettings,
  change: { enabled?: boolean; keep?: number },
): { keep: number } | undefined {
  const keep = change.keep ?? current.keep;
  if (!Number.isInteger(keep) || keep < 1 || keep > MAX_KEEP) {
    throw new HabitatError('E_INVALID', `keep must be an integer from 1 to ${MAX_KEEP}`, { keep });
  }
  return (change.enabled ?? current.enabled) ? { keep } : undefined;
}

/** The checkpoints of `pid` to delete so that the newest `keep` remain (oldest first in, oldest first out). */
export function prunable<R extends { pid: number; kind: string; imported: boolean }>(
  refs: R[],
  pid: number,
  keep: number,
): R[] {
  const own = refs.filter((r) => r.pid === pid && r.kind === 'checkpoint' && !r.imported);
  return own.slice(0, Math.max(0, own.length - keep));
}

/**
 * The objects each manifest names, remembered by manifest hash (manifests never change), so pruning a checkpoint
 * after every step checks what it frees against the other snapshots without parsing all their manifests again.
 * Holds a bounded number of manifests; the least recently used go first.
 */
export class ManifestObjects {
  private readonly cache = new Map<string, Set<string>>();

  constructor(
    private readonly store: ObjectStore,
    private readonly maxBytes: number,
    private readonly capacity = 256,
  ) {}

  /** The file objects of one manifest; undefined when it cannot be read (then nothing is freed: a doubt keeps). */
  async of(manifest: string): Promise<Set<string> | undefined> {
    const cached = this.cache.get(manifest);
    if (cached) {
      this.cache.delete(manifest);
      this.cache.set(manifest, cached);
      return cached;
    }
    const objects = new Set<string>();
    try {
      const data = await this.store.readVerified(manifest, this.maxBytes);
      const parsed = JSON.parse(data.toString('utf8')) as { entries?: { type?: string; hash?: string }[] };
      if (!Array.isArray(parsed.entries)) throw corrupted(`manifest ${manifest} has no entries`);
      for (const entry of parsed.entries) {
        if (entry?.type === 'file' && typeof entry.hash === 'string') objects.add(entry.hash);
      }
    } catch {
      return undefined;
    }
    this.cache.set(manifest, objects);
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value!);
    return objects;
  }
}

/**
 * Deletes an agent's checkpoints beyond the newest `keep`, and the objects only they used: those objects are
 * looked for in the other snapshots' manifests (remembered, see ManifestObjects), not in the whole store.
 */
export class CheckpointPruner {
  private readonly manifests: ManifestObjects;

  constructor(
    private readonly refs: Refs,
    private readonly store: ObjectStore,
    private readonly onDeleted: (id: string) => void,
  ) {
    this.manifests = new ManifestObjects(store, MAX_MANIFEST_BYTES);
  }

  /** Returns the bytes freed. Runs as one of the store's exclusive operations (see Snapshots). */
  async prune(pid: number, keep: number): Promise<number> {
    const refs = this.refs.list();
    const pruned = prunable(refs, pid, keep);
    if (pruned.length === 0) return 0;
    const candidates = new Map<string, number>();
    for (const ref of pruned) {
      await this.refs.remove(ref.id);
      candidates.set(ref.manifest, 0);
      for (const hash of (await this.manifests.of(ref.manifest)) ?? []) candidates.set(hash, 0);
      this.onDeleted(ref.id);
    }
    const gone = new Set(pruned.map((r) => r.id));
    for (const ref of refs) {
      if (gone.has(ref.id)) continue;
      candidates.delete(ref.manifest);
      const objects = await this.manifests.of(ref.manifest);
      if (!objects) return 0; // a manifest it cannot read now: free nothing rather than guess
      for (const hash of objects) candidates.delete(hash);
      if (candidates.size === 0) return 0;
    }
    let freed = 0;
    for (const hash of candidates.keys()) {
      const size = await fsp.stat(this.store.path(hash)).then(
        (stat) => stat.size,
        () => 0,
      );
      await this.store.remove(hash);
      freed += size;
    }
    return freed;
  }
}
