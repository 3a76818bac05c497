import { constants, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { FileWorker } from './fileWorker.js';
import { symlinkStaysInside, type Entry } from './manifest.js';
import { SMALL_FILE, type ObjectStore, type Stored } from './objects.js';

/** What a file looked like when its content was hashed: path → fingerprint and hash. */
export type FingerprintCache = Map<string, { fp: string; hash: string }>;

export interface CaptureOptions {
  /** The previous snapshot's fingerprints of this agent: unchanged files are not read again. */
  previous?: FingerprintCache;
  onProgress?(done: number, total: number, bytes: number): void;
}

export interface CaptureResult {
  entries: Entry[];
  skipped: { path: string; reason: string }[];
  /** Bytes new to the store. */
  added: number;
  fingerprints: FingerprintCache;
}

/** Small files go to the worker in batches of this many: progress between batches, little waiting at the end. */
const BATCH = 200;

/**
 * Walks a home without ever following a symlink (lstat; files opened with O_NOFOLLOW) and stores each file's
 * content in the object store. Folders come before what they hold, in name order. Symlinks are kept as symlinks
 * when they point inside the home; those that lead out, sockets, FIFOs, devices and unreadable files are skipped
 * and listed with the reason. Call it with the agent held still (ProcessTable.freeze). The walk and small files
 * run on the file worker; large files are streamed here.
 */
export async function captureHome(
  home: string,
  store: ObjectStore,
  worker: FileWorker,
  options: CaptureOptions = {},
): Promise<CaptureResult> {
  const walked = await worker.run('walk', { home });
  const skipped: CaptureResult['skipped'] = walked.unreadable.map(({ path, code }) => ({
    path,
    reason: `unreadable folder: ${code}`,
  }));
  const entries: Entry[] = [];
  const files: { entry: Extract<Entry, { type: 'file' }>; fp: string; size: number }[] = [];
  for (const found of walked.entries) {
    if (found.type === 'dir') entries.push(found);
    else if (found.type === 'file') {
      const entry = {
        type: 'file' as const,
        path: found.path,
        mode: found.mode,
        mtime: found.mtime,
        size: 0,
        hash: '',
      };
      entries.push(entry);
      files.push({ entry, fp: found.fp, size: found.size });
    } else if (found.type === 'symlink') {
      if (symlinkStaysInside(found.path, found.target)) entries.push(found);
      else
        skipped.push({
          path: found.path,
          reason: `symlink that points outside the home (${found.target.slice(0, 200)})`,
        });
    } else {
      skipped.push({ path: found.path, reason: 'special file (socket, FIFO or device)' });
    }
  }

  const fingerprints: FingerprintCache = new Map();
  const unreadable = new Set<string>();
  let added = 0;
  let done = 0;
  let bytes = 0;
  const stored = (entry: Extract<Entry, { type: 'file' }>, fp: string, result: Stored): void => {
    entry.hash = result.hash;
    entry.size = result.size;
    fingerprints.set(entry.path, { fp, hash: result.hash });
    added += result.added;
    done++;
    bytes += result.size;
    options.onProgress?.(done, files.length, bytes);
  };
  const unread = (path: string, code: string): void => {
    unreadable.add(path);
    skipped.push({ path, reason: `unreadable file: ${code}` });
  };

  const small: typeof files = [];
  for (const file of files) {
    const known = options.previous?.get(file.entry.path);
    if (known?.fp === file.fp && (await store.has(known.hash))) {
      stored(file.entry, file.fp, { hash: known.hash, added: 0, size: file.size });
    } else if (file.size <= SMALL_FILE) {
      small.push(file);
    } else {
      try {
        stored(file.entry, file.fp, await storeLargeFile(store, join(home, file.entry.path)));
      } catch (error) {
        unread(file.entry.path, (error as NodeJS.ErrnoException).code ?? String(error));
      }
    }
  }
  for (let start = 0; start < small.length; start += BATCH) {
    const batch = small.slice(start, start + BATCH);
    const results = await worker.run('store', {
      objects: store.objects,
      tmp: store.tmp,
      paths: batch.map(({ entry }) => join(home, entry.path)),
    });
    results.forEach((result, i) => {
      const { entry, fp } = batch[i]!;
      if ('error' in result) return unread(entry.path, result.error);
      store.remember(result.hash);
      stored(entry, fp, result);
    });
  }
  return {
    entries: unreadable.size ? entries.filter((e) => !unreadable.has(e.path)) : entries,
    skipped,
    added,
    fingerprints,
  };
}

/** O_NONBLOCK: a FIFO swapped in for a file must not hang the open. */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** A large file, streamed (it may have grown since the walk: the stream stores what is there). */
async function storeLargeFile(store: ObjectStore, path: string): Promise<Stored> {
  const file = await fsp.open(path, OPEN_FLAGS);
  try {
    const stat = await file.stat();
    if (!stat.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    return await store.putFile(file, stat.size);
  } finally {
    await file.close();
  }
}
