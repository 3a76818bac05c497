import type { FileWorker, WalkResult } from './fileWorker.js';
import { symlinkStaysInside, type Entry } from './manifest.js';
import type { ObjectStore, Stored } from './objects.js';

/** What a file looked like when its content was hashed: path → fingerprint and hash. */
export type FingerprintCache = Map<string, { fp: string; hash: string }>;

export interface CaptureOptions {
  /** The previous snapshot's fingerprints of this agent: unchanged files are not read again. */
  previous?: FingerprintCache;
  onProgress?(done: number, total: number, bytes: number): void;
  /** For tests: the clock that decides which files changed too recently to be remembered. */
  now?: () => number;
  /** For tests: runs between the walk and the reading of files (where an agent may swap a folder for a link). */
  afterWalk?(): void | Promise<void>;
}

export interface CaptureResult {
  entries: Entry[];
  skipped: { path: string; reason: string }[];
  /** Bytes new to the store. */
  added: number;
  fingerprints: FingerprintCache;
}

/** A worker job holds at most this many small files, or this many bytes: progress between jobs, balanced workers. */
const BATCH_FILES = 200;
const BATCH_BYTES = 8 * 1024 * 1024;
/** Objects whose size a worker job checks (a stat each). */
const WHOLE_BATCH = 1000;
/**
 * A file changed this recently before the capture began is not remembered as unchanged: file times come from a
 * clock that ticks every few ms, so a write right after the capture, within the same tick, could leave its
 * fingerprint as it was (git's "racily clean" entries). Such a file is simply read again next time. File systems
 * that keep whole seconds (FAT, some network ones) get a wider margin.
 */
const RACY_MS = 100;
const RACY_COARSE_MS = 2000;

type FileEntry = Extract<Entry, { type: 'file' }>;
interface Pending {
  entry: FileEntry;
  fp: string;
  size: number;
  ctime: number;
  coarse: boolean;
}

/**
 * Walks a home without ever following a symlink, in any component (each folder opened relative to its open parent
 * with O_NOFOLLOW|O_DIRECTORY, entries lstat'ed, files opened with O_NOFOLLOW in their open folder: see the file
 * worker), and stores each file's content in the object store. Folders come before what they hold, in name order.
 * Symlinks are kept as symlinks when they point inside the home; those that lead out, sockets, FIFOs, devices and
 * unreadable files are skipped and listed with the reason, and so is a folder swapped for a link while it is read
 * (a checkpoint leaves the sandbox running). Call it with the agent held still (ProcessTable.freeze). Files whose
 * fingerprint (device, inode, size, mtime, ctime) matches the previous capture are not read again; the others are
 * read, hashed and copied into the store on the file workers, several at once, largest first.
 */
export async function captureHome(
  home: string,
  store: ObjectStore,
  worker: FileWorker,
  options: CaptureOptions = {},
): Promise<CaptureResult> {
  const startedAt = (options.now ?? Date.now)();
  const walked = await walkHome(home, worker);
  await options.afterWalk?.();
  const skipped: CaptureResult['skipped'] = walked.unreadable.map(({ path, code }) => ({
    path,
    reason:
      code === 'ETOODEEP'
        ? 'folder nested too deep (256 levels): what it holds is left out'
        : code === 'ENAMETOOLONG'
          ? 'folder path too long (over 3072 bytes): what it holds is left out'
          : `unreadable folder: ${code}`,
  }));
  const entries: Entry[] = [];
  const files: Pending[] = [];
  for (const found of walked.entries) {
    if (found.type === 'dir') entries.push(found);
    else if (found.type === 'file') {
      const entry: FileEntry = {
        type: 'file',
        path: found.path,
        mode: found.mode,
        mtime: found.mtime,
        size: 0,
        hash: '',
      };
      entries.push(entry);
      files.push({ entry, fp: found.fp, size: found.size, ctime: found.ctime, coarse: found.coarse });
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
  const addedNow = new Set<string>();
  let added = 0;
  let done = 0;
  let bytes = 0;
  const stored = (file: Pending, result: Stored): void => {
    file.entry.hash = result.hash;
    file.entry.size = result.size;
    const margin = file.coarse ? RACY_COARSE_MS : RACY_MS;
    if (file.ctime < startedAt - margin)
      fingerprints.set(file.entry.path, { fp: file.fp, hash: result.hash });
    // two workers may both add one content (duplicate files): it counts once
    if (result.added > 0 && !addedNow.has(result.hash)) {
      addedNow.add(result.hash);
      added += result.added;
    }
    done++;
    bytes += result.size;
    options.onProgress?.(done, files.length, bytes);
  };

  // an unchanged file whose object is whole (a power loss may have left it empty) is not read again; the objects'
  // sizes are checked (once per object and run) many at a time, not one stat after another
  const toRead: Pending[] = [];
  const unchanged: { file: Pending; hash: string; size: number }[] = [];
  for (const file of files) {
    const known = options.previous?.get(file.entry.path);
    if (known?.fp === file.fp) unchanged.push({ file, hash: known.hash, size: file.size });
    else toRead.push(file);
  }
  const whole = await store.intactAll(unchanged, async (unchecked) => {
    const jobs: { hash: string; size: number }[][] = [];
    for (let at = 0; at < unchecked.length; at += WHOLE_BATCH)
      jobs.push(unchecked.slice(at, at + WHOLE_BATCH));
    const answers = await Promise.all(
      jobs.map((items) => worker.run('whole', { objects: store.objects, items })),
    );
    return answers.flat();
  });
  unchanged.forEach(({ file, hash }, i) => {
    if (whole[i]) stored(file, { hash, added: 0, size: file.size });
    else toRead.push(file);
  });
  await settleAll(
    batches(toRead).map(async (batch) => {
      const results = await worker.run('store', {
        home,
        objects: store.objects,
        tmp: store.tmp,
        paths: batch.map(({ entry }) => entry.path),
      });
      results.forEach((result, i) => {
        const file = batch[i]!;
        if ('error' in result) {
          unreadable.add(file.entry.path);
          skipped.push({ path: file.entry.path, reason: `unreadable file: ${result.error}` });
          return;
        }
        store.remember(result.hash, result.added > 0 || result.size === 0);
        stored(file, result);
      });
    }),
  );
  return {
    entries: unreadable.size ? entries.filter((e) => !unreadable.has(e.path)) : entries,
    skipped,
    added,
    fingerprints,
  };
}

/** Folders this deep are walked as jobs of their own, several at once (one per worker). */
const WALK_SPLIT_DEPTH = 2;

/**
 * The whole home, in the order one walk would give (folders before what they hold, names sorted), walked in
 * parallel: the top levels first, then each folder at the split depth as its own job.
 */
async function walkHome(home: string, worker: FileWorker): Promise<Omit<WalkResult, 'cut'>> {
  const top = await worker.run('walk', { home, from: '', depth: WALK_SPLIT_DEPTH });
  const below = new Map<string, WalkResult>();
  await settleAll(top.cut.map(async (dir) => below.set(dir, await worker.run('walk', { home, from: dir }))));
  const entries: WalkResult['entries'] = [];
  const unreadable = [...top.unreadable];
  for (const entry of top.entries) {
    entries.push(entry);
    const subtree = entry.type === 'dir' ? below.get(entry.path) : undefined;
    if (!subtree) continue;
    for (const inner of subtree.entries) entries.push(inner);
    unreadable.push(...subtree.unreadable);
  }
  return { entries, unreadable };
}

/** Worker jobs: each large file alone, small ones together; the largest first, so the workers finish together. */
export function batches<T extends { size: number }>(files: T[]): T[][] {
  const jobs: T[][] = [];
  let current: T[] = [];
  let currentBytes = 0;
  for (const file of [...files].sort((a, b) => b.size - a.size)) {
    if (file.size >= BATCH_BYTES) {
      jobs.push([file]);
      continue;
    }
    if (current.length >= BATCH_FILES || currentBytes + file.size > BATCH_BYTES) {
      jobs.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(file);
    currentBytes += file.size;
  }
  if (current.length) jobs.push(current);
  return jobs;
}

/** Waits for every job, then throws the first failure: nothing is still writing when the caller cleans up. */
export async function settleAll(jobs: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(jobs)).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}
