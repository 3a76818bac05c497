import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { HabitatError, SnapshotInfoSchema } from '../../shared/protocol/index.js';
import type { FingerprintCache } from './capture.js';
import { corrupted } from './objects.js';

/** A snapshot's record in refs/<id>.json: its info, and whether it came from an export. */
export const RefSchema = SnapshotInfoSchema.extend({ imported: z.boolean().default(false) });
export type Ref = z.infer<typeof RefSchema>;

const ID = /^snap-[a-z0-9]{6,40}$/;

/**
 * The snapshots' records (refs/), indexed in memory: read once at load, then kept in step by every write and
 * removal (they all go through here), so listing and pruning after every checkpoint read no files.
 */
export class Refs {
  private readonly index = new Map<string, Ref>();

  constructor(
    readonly dir: string,
    private readonly tempPath: (prefix: string) => string,
  ) {}

  async load(): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    for (const name of await fsp.readdir(this.dir)) {
      const match = /^(snap-[a-z0-9]{6,40})\.json$/.exec(name);
      if (!match) continue;
      // an unreadable record is left out of lists, not fatal
      await this.readFile(match[1]!).then(
        (ref) => this.index.set(ref.id, ref),
        () => {},
      );
    }
  }

  path(id: string): string {
    if (!ID.test(id)) throw new HabitatError('E_INVALID', `not a snapshot id: ${id}`);
    return join(this.dir, `${id}.json`);
  }

  /** A record: from the index, else from disk (an error says why it is not there or not valid). */
  async get(id: string): Promise<Ref> {
    const known = this.index.get(id);
    if (known) return known;
    const ref = await this.readFile(id);
    this.index.set(id, ref);
    return ref;
  }

  /** Every record, oldest first. */
  list(): Ref[] {
    return [...this.index.values()].sort(
      (a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id),
    );
  }

  async exists(id: string): Promise<boolean> {
    return Boolean(await fsp.stat(this.path(id)).catch(() => undefined));
  }

  /** Written through a temp file (fsynced when durable): a ref names a complete snapshot or does not exist. */
  async write(ref: Ref, options: { durable?: boolean } = {}): Promise<void> {
    const temp = this.tempPath('ref');
    const file = await fsp.open(temp, 'wx', 0o600);
    try {
      await file.writeFile(JSON.stringify(ref));
      if (options.durable ?? true) await file.sync();
    } finally {
      await file.close();
    }
    await fsp.rename(temp, this.path(ref.id));
    if (options.durable ?? true) await syncFolder(this.dir);
    this.index.set(ref.id, ref);
  }

  async remove(id: string): Promise<void> {
    await fsp.rm(this.path(id), { force: true });
    this.index.delete(id);
  }

  private async readFile(id: string): Promise<Ref> {
    let text: string;
    try {
      text = await fsp.readFile(this.path(id), 'utf8');
    } catch (error) {
      if (error instanceof HabitatError) throw error;
      throw new HabitatError('E_NOT_FOUND', `no snapshot ${id}`);
    }
    let parsed;
    try {
      parsed = RefSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) throw corrupted(`its record ${id}.json is invalid`);
    return parsed.data;
  }
}

/** Each agent's latest fingerprints (cache/<pid>.json), kept in memory too: a checkpoint a step reads none. */
export class Fingerprints {
  private readonly latest = new Map<number, FingerprintCache>();

  constructor(
    readonly dir: string,
    private readonly tempPath: (prefix: string) => string,
  ) {}

  async load(): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  async read(pid: number): Promise<FingerprintCache | undefined> {
    const known = this.latest.get(pid);
    if (known) return known;
    try {
      const rows = JSON.parse(await fsp.readFile(join(this.dir, `${pid}.json`), 'utf8')) as [
        string,
        string,
        string,
      ][];
      return new Map(rows.map(([path, fp, hash]) => [path, { fp, hash }]));
    } catch {
      return undefined;
    }
  }

  async write(pid: number, cache: FingerprintCache): Promise<void> {
    const before = this.latest.get(pid);
    this.latest.set(pid, cache);
    if (before && sameFingerprints(before, cache)) return; // an unchanged home: the file says it already
    const temp = this.tempPath('cache');
    await fsp.writeFile(temp, JSON.stringify([...cache].map(([path, { fp, hash }]) => [path, fp, hash])), {
      mode: 0o600,
    });
    await fsp.rename(temp, join(this.dir, `${pid}.json`));
  }
}

function sameFingerprints(a: FingerprintCache, b: FingerprintCache): boolean {
  if (a.size !== b.size) return false;
  for (const [path, { fp, hash }] of b) {
    const other = a.get(path);
    if (other?.fp !== fp || other.hash !== hash) return false;
  }
  return true;
}

/** Makes a rename into a folder durable; where a folder cannot be opened for it, the system is left to it. */
async function syncFolder(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r').catch(() => undefined);
  await handle
    ?.sync()
    .catch(() => {})
    .finally(() => handle.close());
}
