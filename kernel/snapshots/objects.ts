import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { HabitatError } from '../../shared/protocol/index.js';

export const HASH = /^[0-9a-f]{64}$/;

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A content put in the store: its name, its size, and how many of its bytes were new to the store. */
export interface Stored {
  hash: string;
  added: number;
  size: number;
}

export function corrupted(what: string, details?: unknown): HabitatError {
  return new HabitatError('E_INVALID', `the snapshot is damaged: ${what}`, details);
}

/**
 * Content-addressed storage: each distinct content once, named by its sha256 (objects/ab/abcdef…), so a snapshot
 * of a mostly unchanged home adds only what changed. Objects are written to tmp/ and renamed into place: a name
 * never holds half a content. They are not fsynced as they are written (a checkpoint a step would pay for it);
 * flush() makes those a snapshot uses durable before its durable record is written. Every read verifies the content
 * against its name, and an object is trusted for de-duplication only once its size has been seen right (after a
 * power loss ext4 may leave a name whose content never reached the disk: empty): a damaged one is written again.
 */
export class ObjectStore {
  readonly objects: string;
  readonly tmp: string;
  private known: Set<string> | undefined;
  /** Objects whose size was seen right since open (or that were written since): trusted for de-duplication. */
  private readonly checked = new Set<string>();
  /** Objects written since open and not fsynced yet. */
  private readonly unsynced = new Set<string>();
  private rootSynced = false;

  constructor(readonly root: string) {
    this.objects = join(root, 'objects');
    this.tmp = join(root, 'tmp');
  }

  /**
   * Creates the folders, clears what an interrupted operation left in tmp/, and reads which objects exist: an
   * in-memory index spares a stat per file when deduplicating (everything that adds or removes objects goes
   * through this class).
   */
  async open(): Promise<void> {
    await fsp.rm(this.tmp, { recursive: true, force: true });
    await fsp.mkdir(this.tmp, { recursive: true, mode: 0o700 });
    const known = new Set<string>();
    for (let fan = 0; fan < 256; fan++) {
      const dir = join(this.objects, fan.toString(16).padStart(2, '0'));
      await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
      for (const name of await fsp.readdir(dir)) if (HASH.test(name)) known.add(name);
    }
    this.known = known;
  }

  path(hash: string): string {
    if (!HASH.test(hash)) throw corrupted(`not an object name: ${hash.slice(0, 80)}`);
    return join(this.objects, hash.slice(0, 2), hash);
  }

  async has(hash: string): Promise<boolean> {
    if (this.known) return this.known.has(hash);
    try {
      return (await fsp.stat(this.path(hash))).isFile();
    } catch {
      return false;
    }
  }

  /** A fresh path in tmp/ (same filesystem as objects/, so a rename moves it in). */
  tempPath(prefix: string): string {
    return join(this.tmp, `${prefix}-${randomBytes(8).toString('hex')}`);
  }

  /**
   * Whether the store holds this object whole enough to de-duplicate against: present, and of this size (checked
   * with a stat once per object and run, the first time it is relied on; a size that is wrong is not trusted).
   */
  async intact(hash: string, size: number): Promise<boolean> {
    if (this.checked.has(hash)) return true;
    if (this.known && !this.known.has(hash)) return false;
    const stat = await fsp.stat(this.path(hash)).catch(() => undefined);
    if (!stat?.isFile() || stat.size !== size) return false;
    this.checked.add(hash);
    return true;
  }

  /**
   * intact() for many objects at once (the unchanged files of a capture): those not checked yet this run are
   * checked by `check` (the file workers: synchronous stats there, several jobs at once), not one stat after
   * another on this loop. Answers in the order asked.
   */
  async intactAll(
    objects: readonly { hash: string; size: number }[],
    check: (unchecked: { hash: string; size: number }[]) => Promise<boolean[]>,
  ): Promise<boolean[]> {
    const answers = objects.map(({ hash }) =>
      this.checked.has(hash)
        ? true
        : !HASH.test(hash) || (this.known && !this.known.has(hash))
          ? false
          : undefined,
    );
    const found = await check(objects.filter((_, i) => answers[i] === undefined));
    let at = 0;
    return answers.map((answer, i) => {
      if (answer !== undefined) return answer;
      const whole = found[at++] === true;
      if (whole) this.checked.add(objects[i]!.hash);
      return whole;
    });
  }

  /** Stores bytes; returns their hash and how many bytes were new to the store. */
  async putBuffer(data: Uint8Array): Promise<Stored> {
    const hash = sha256(data);
    const size = data.byteLength;
    if (await this.intact(hash, size)) return { hash, added: 0, size };
    const temp = this.tempPath('put');
    await fsp.writeFile(temp, data, { mode: 0o400 });
    return { hash, added: await this.adopt(temp, hash, size), size };
  }

  /**
   * Counts in an object another writer (the file worker) put in place (written) or found in place with the right
   * size.
   */
  remember(hash: string, written: boolean): void {
    this.known?.add(hash);
    this.checked.add(hash);
    if (written) this.unsynced.add(hash);
  }

  /**
   * Moves a verified temp file into place under its hash; returns the bytes added (0 when another writer got
   * there first: same content, same name). An object of the wrong size in its place (a damaged one) is replaced.
   */
  async adopt(temp: string, hash: string, size: number): Promise<number> {
    const target = this.path(hash);
    if (await this.intact(hash, size)) {
      await fsp.rm(temp, { force: true });
      return 0;
    }
    await fsp.rename(temp, target); // the fan folder exists since open()
    this.remember(hash, true);
    return size;
  }

  /** How many objects written since open are not durable yet (tests). */
  get pending(): number {
    return this.unsynced.size;
  }

  /**
   * Makes these objects durable, those of them written since open (fsync of each, then of the fan folders that
   * name them): before a record that must survive a power loss names them.
   */
  async flush(hashes: Iterable<string>): Promise<void> {
    const files = [...new Set(hashes)].filter((hash) => this.unsynced.has(hash));
    const folders = new Set(files.map((hash) => join(this.objects, hash.slice(0, 2))));
    if (!this.rootSynced) folders.add(this.objects);
    const sync = async (path: string) => {
      const handle = await fsp.open(path, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    };
    // several at once: each is a round trip to the disk
    for (let at = 0; at < files.length; at += 32) {
      await Promise.all(files.slice(at, at + 32).map((hash) => sync(this.path(hash))));
    }
    // a folder that cannot be opened for it (not every platform allows that) is left to the system
    await Promise.all([...folders].map((folder) => sync(folder).catch(() => {})));
    for (const hash of files) this.unsynced.delete(hash);
    this.rootSynced = true;
  }

  /** An object's bytes, verified against its name (manifests). */
  async readVerified(hash: string, maxBytes: number): Promise<Buffer> {
    const path = this.path(hash);
    let data: Buffer;
    try {
      const { size } = await fsp.stat(path);
      if (size > maxBytes) throw corrupted(`object ${hash} is ${size} bytes, more than ${maxBytes}`);
      data = await fsp.readFile(path);
    } catch (error) {
      if (error instanceof HabitatError) throw error;
      throw corrupted(`object ${hash} is missing from the store`);
    }
    if (sha256(data) !== hash) throw corrupted(`object ${hash} does not match its checksum`);
    return data;
  }

  /** Every object in the store with its size (for garbage collection and figures). */
  async list(): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    for (const fan of await fsp.readdir(this.objects).catch(() => [] as string[])) {
      const dir = join(this.objects, fan);
      for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
        if (!HASH.test(name)) continue;
        const stat = await fsp.stat(join(dir, name)).catch(() => undefined);
        if (stat?.isFile()) found.set(name, stat.size);
      }
    }
    return found;
  }

  async remove(hash: string): Promise<void> {
    this.known?.delete(hash);
    this.checked.delete(hash);
    this.unsynced.delete(hash);
    await fsp.rm(this.path(hash), { force: true });
  }
}
