import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { batches, settleAll } from './capture.js';
import type { FileWorker } from './fileWorker.js';
import type { Entry, Manifest } from './manifest.js';
import { corrupted, type ObjectStore } from './objects.js';

/** setuid and setgid are never restored: the kernel (often root) writes these files. */
const DROPPED_BITS = 0o6000;

export interface MaterializeOptions {
  onProgress?(done: number, total: number, bytes: number): void;
}

type FileEntry = Extract<Entry, { type: 'file' }>;

const missing = (entry: FileEntry) =>
  corrupted(`object ${entry.hash} (${entry.path}) is missing from the store`);
const mismatch = (entry: FileEntry) =>
  corrupted(`${entry.path} does not match its checksum (object ${entry.hash})`);

/**
 * Builds a home from a manifest into `target` (which must not exist), checking every file against its sha256
 * as it is written (on the file workers, several files at once). Folders are made first,
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
    await worker.run('mkdirs', { paths: dirs.map((dir) => join(target, dir.path)) });
    for (const entry of files) {
      if (entry.mode & DROPPED_BITS) warnings.push(`${entry.path}: setuid/setgid bits dropped`);
    }
    let done = 0;
    let bytes = 0;
    // on the file workers, several jobs at once; the first failure fails the whole restore
    await settleAll(
      batches(files).map(async (batch) => {
        const { failed } = await worker.run('restore', {
          objects: store.objects,
          files: batch.map((e) => ({ ...e, path: join(target, e.path) })),
        });
        if (failed) {
          const entry = batch[failed.index]!;
          throw failed.why === 'missing' ? missing(entry) : mismatch(entry);
        }
        for (const entry of batch) {
          done++;
          bytes += entry.size;
          options.onProgress?.(done, files.length, bytes);
        }
      }),
    );
    await worker.run('finish', {
      links: manifest.entries
        .filter((e) => e.type === 'symlink')
        .map((link) => ({ path: join(target, link.path), target: link.target, mtime: link.mtime })),
      dirs: [...dirs]
        .reverse()
        .map((dir) => ({ path: join(target, dir.path), mode: dir.mode & 0o1777, mtime: dir.mtime })),
    });
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
