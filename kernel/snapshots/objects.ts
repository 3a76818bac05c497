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
 * never holds half a content. They are not fsynced one by one (thousands of fsyncs per snapshot); every read
 * verifies the content against its name, so an object torn by a power loss is found, never trusted.
 */
export class ObjectStore {
  readonly objects: string;
  readonly tmp: string;
  private known: Set<string> | undefined;

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

  /** Whether the store holds an object, from the index alone; undefined before open() (ask has()). */
  knows(hash: string): boolean | undefined {
    return this.known?.has(hash);
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

  /** Stores bytes; returns their hash and how many bytes were new to the store. */
  async putBuffer(data: Uint8Array): Promise<Stored> {
    const hash = sha256(data);
    const size = data.byteLength;
    if (await this.has(hash)) return { hash, added: 0, size };
    const temp = this.tempPath('put');
    await fsp.writeFile(temp, data, { mode: 0o400 });
    return { hash, added: await this.adopt(temp, hash, size), size };
  }

  /** Counts in an object another writer (the file worker) put in place. */
  remember(hash: string): void {
    this.known?.add(hash);
  }

  /**
   * Moves a verified temp file into place under its hash; returns the bytes added (0 when another writer got
   * there first: same content, same name).
   */
  async adopt(temp: string, hash: string, size: number): Promise<number> {
    const target = this.path(hash);
    if (await this.has(hash)) {
      await fsp.rm(temp, { force: true });
      return 0;
    }
    await fsp.rename(temp, target); // the fan folder exists since open()
    this.known?.add(hash);
    return size;
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
    await fsp.rm(this.path(hash), { force: true });
  }
}
