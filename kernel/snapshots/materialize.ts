import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FileWorker } from './fileWorker.js';
import type { Entry, Manifest } from './manifest.js';
import { corrupted, SMALL_FILE, type ObjectStore } from './objects.js';

/** setuid and setgid are never restored: the kernel (often root) writes these files. */
const DROPPED_BITS = 0o6000;
/** Small files go to the worker in batches of this many. */
const BATCH = 200;

export interface MaterializeOptions {
  onProgress?(done: number, total: number, bytes: number): void;
}

type FileEntry = Extract<Entry, { type: 'file' }>;

const missing = (entry: FileEntry) =>
  corrupted(`object ${entry.hash} (${entry.path}) is missing from the store`);
const mismatch = (entry: FileEntry) =>
  corrupted(`${entry.path} does not match its checksum (object ${entry.hash})`);

/** A large file, streamed from its object and hashed on the way. */
async function writeLarge(store: ObjectStore, entry: FileEntry, path: string): Promise<void> {
  const source = store.path(entry.hash);
  const hasher = createHash('sha256');
  let bytes = 0;
  await pipeline(
    createReadStream(source),
    async function* (chunks: AsyncIterable<Buffer>) {
      for await (const chunk of chunks) {
        hasher.update(chunk);
        bytes += chunk.byteLength;
        yield chunk;
      }
    },
    createWriteStream(path, { flags: 'wx', mode: 0o600 }),
  ).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ENOENT' && error.path === source ? missing(entry) : error;
  });
  if (bytes !== entry.size || hasher.digest('hex') !== entry.hash) throw mismatch(entry);
  await fsp.chmod(path, entry.mode & 0o777);
  await fsp.utimes(path, entry.mtime / 1000, entry.mtime / 1000);
}

/**
 * Builds a home from a manifest into `target` (which must not exist), checking every file against its sha256
 * before it is written (small files on the file worker, large ones streamed here). Folders are made first,
 * private; then files, symlinks, and modes and times, deepest folder last (a read-only folder gets its mode once
 * it is filled). Any failure removes `target` entirely: nothing half-restored remains. Returns what could not be
 * restored as it was.
 */
export async function materialize(
  manifest: Manifest,
  store: ObjectStore,
  worker: FileWorker,
  target: string,
  options: MaterializeOptions = {},
): Promise<{ warnings: string[] }> {
  const warnings: string[] = [];
  await fsp.mkdir(target, { mode: 0o700 });
  try {
    const dirs = manifest.entries.filter((e) => e.type === 'dir');
    const files = manifest.entries.filter((e): e is FileEntry => e.type === 'file');
    for (const dir of dirs) await fsp.mkdir(join(target, dir.path), { mode: 0o700 });
    for (const entry of files) {
      if (entry.mode & DROPPED_BITS) warnings.push(`${entry.path}: setuid/setgid bits dropped`);
    }
    let done = 0;
    let bytes = 0;
    const progress = (entry: FileEntry) => {
      done++;
      bytes += entry.size;
      options.onProgress?.(done, files.length, bytes);
    };
    const small = files.filter((e) => e.size <= SMALL_FILE);
    for (let start = 0; start < small.length; start += BATCH) {
      const batch = small.slice(start, start + BATCH);
      const { failed } = await worker.run('restore', {
        objects: store.objects,
        files: batch.map((e) => ({ ...e, path: join(target, e.path) })),
      });
      if (failed) {
        const entry = batch[failed.index]!;
        throw failed.why === 'missing' ? missing(entry) : mismatch(entry);
      }
      batch.forEach(progress);
    }
    for (const entry of files) {
      if (entry.size <= SMALL_FILE) continue;
      await writeLarge(store, entry, join(target, entry.path));
      progress(entry);
    }
    for (const link of manifest.entries) {
      if (link.type !== 'symlink') continue;
      const path = join(target, link.path);
      await fsp.symlink(link.target, path);
      await fsp.lutimes(path, link.mtime / 1000, link.mtime / 1000).catch(() => {});
    }
    for (const dir of [...dirs].reverse()) {
      const path = join(target, dir.path);
      await fsp.chmod(path, dir.mode & 0o1777);
      await fsp.utimes(path, dir.mtime / 1000, dir.mtime / 1000);
    }
    return { warnings };
  } catch (error) {
    await removeTree(target);
    throw error;
  }
}

/** Removes a staged tree, read-only folders included (a user without root cannot delete inside them). */
export async function removeTree(path: string): Promise<void> {
  try {
    await fsp.rm(path, { recursive: true, force: true });
  } catch {
    await makeWritable(path);
    await fsp.rm(path, { recursive: true, force: true });
  }
}

async function makeWritable(dir: string): Promise<void> {
  const stat = await fsp.lstat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) return;
  await fsp.chmod(dir, 0o700).catch(() => {});
  for (const name of await fsp.readdir(dir).catch(() => [] as string[])) await makeWritable(join(dir, name));
}
