import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * Snapshots touch thousands of files and gigabytes. Through fs/promises each system call is a thread-pool round
 * trip (here about four times slower than tar); synchronous calls are as fast as tar but would stall the kernel's
 * event loop (terminals, the bridge) whenever the disk is slow. So the file work runs with synchronous calls on
 * worker threads, a few at once (one per core, at most four): reading, hashing and writing of one file overlap
 * with those of others, and the event loop stays free.
 *
 * A worker runs from the source text of workerBody (eval), so it loads the same way under tsx, vitest and the
 * bundled app: workerBody must be self-contained, reaching Node only through process.getBuiltinModule.
 */

/** One entry of a home as the walk found it (lstat, never following links). */
export type WalkEntry =
  | { type: 'dir'; path: string; mode: number; mtime: number }
  | {
      type: 'file';
      path: string;
      mode: number;
      mtime: number;
      size: number;
      /** Device, inode, size, mtime and ctime: what tells an unchanged file from a changed one. */
      fp: string;
      /** Last change of content or metadata, ms since the epoch. */
      ctime: number;
      /** Its file system keeps whole seconds only (no fraction in ctime): changes are told apart more coarsely. */
      coarse: boolean;
    }
  | { type: 'symlink'; path: string; mtime: number; target: string }
  | { type: 'other'; path: string };

/** A file stored: its hash and size, or why it could not be read. */
export type StoreResult = { hash: string; size: number; added: number } | { error: string };

export interface RestoreFile {
  path: string;
  hash: string;
  size: number;
  mode: number;
  mtime: number;
}

interface Jobs {
  /** The tree under `from` (home-relative, '' for all of it); folders `depth` levels down are listed in `cut`
   *  (with their own entry) but not entered, for other jobs to walk. */
  walk: {
    args: { home: string; from: string; depth?: number };
    result: { entries: WalkEntry[]; unreadable: { path: string; code: string }[]; cut: string[] };
  };
  /** Files of the home, by home-relative path (opened folder by folder, never through a link). */
  store: { args: { home: string; objects: string; tmp: string; paths: string[] }; result: StoreResult[] };
  /** Whether each object is in place with this size (whole enough to de-duplicate against). */
  whole: { args: { objects: string; items: { hash: string; size: number }[] }; result: boolean[] };
  restore: {
    args: { objects: string; files: RestoreFile[] };
    result: { failed: { index: number; why: 'missing' | 'mismatch' } | null };
  };
  /** Folders made private (0700), parents first. */
  mkdirs: { args: { paths: string[] }; result: null };
  /** Symlinks made, then folders given their modes and times, deepest first (a read-only folder once filled). */
  finish: {
    args: {
      links: { path: string; target: string; mtime: number }[];
      dirs: { path: string; mode: number; mtime: number }[];
    };
    result: null;
  };
}

export type WalkResult = Jobs['walk']['result'];

type Request = { id: number; op: keyof Jobs; args: unknown };
type Reply = { id: number; result?: unknown; error?: { message: string; code?: string } };

function workerBody(): void {
  const { parentPort } = process.getBuiltinModule('node:worker_threads');
  const fs = process.getBuiltinModule('node:fs');
  const { createHash, randomBytes } = process.getBuiltinModule('node:crypto');
  const { join } = process.getBuiltinModule('node:path');
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = fs.constants;
  /** Files up to this size are read whole; larger ones go through one reused buffer, hashed as they pass. */
  const WHOLE = 8 * 1024 * 1024;
  const chunk = Buffer.allocUnsafe(4 * 1024 * 1024);
  const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
  const objectPath = (objects: string, hash: string) => join(objects, hash.slice(0, 2), hash);
  const code = (error: unknown) => String((error as { code?: string }).code ?? error);

  /**
   * Folders of the home are opened one name at a time, each relative to the folder already open and never through
   * a symlink (O_NOFOLLOW|O_DIRECTORY), and kept open while what they hold is read: an agent that swaps a folder
   * for a link between the walk and the read (a checkpoint leaves its sandbox running) gets the open folder read,
   * or the name refused, never the link followed. On Linux a folder is named by its descriptor
   * ('/proc/self/fd/<fd>/<name>' is openat(fd, name), which Node lacks), so no ancestor can be swapped either.
   * Without a usable /proc (macOS...) each folder's realpath must be the path built from the home's: links in
   * place are refused, a swap that lands between check and use is not prevented there.
   */
  const DIR_FLAGS = O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
  interface Dir {
    fd: number;
    /** Names the folder for path-taking calls: append '/' and one name. */
    path: string;
  }
  let procfd: boolean | undefined;
  const refused = (name: string, errno: string) =>
    Object.assign(new Error(`${name}: not a folder (${errno})`), { code: errno });
  const openHome = (home: string): Dir => {
    const fd = fs.openSync(home, DIR_FLAGS);
    try {
      if (procfd === undefined) {
        try {
          const opened = fs.fstatSync(fd);
          const viaProc = fs.statSync(`/proc/self/fd/${fd}`);
          procfd = opened.dev === viaProc.dev && opened.ino === viaProc.ino;
        } catch {
          procfd = false;
        }
      }
      return { fd, path: procfd ? `/proc/self/fd/${fd}` : fs.realpathSync(home) };
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  };
  const openChild = (parent: Dir, name: string): Dir => {
    const path = `${parent.path}/${name}`;
    const fd = fs.openSync(path, DIR_FLAGS); // a link: ELOOP or ENOTDIR
    if (procfd) return { fd, path: `/proc/self/fd/${fd}` };
    try {
      const opened = fs.fstatSync(fd);
      const named = fs.lstatSync(path);
      if (fs.realpathSync(path) !== path || opened.dev !== named.dev || opened.ino !== named.ino)
        throw refused(name, 'ELOOP');
      return { fd, path };
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  };
  /** Opens home/<rel> folder by folder (rel '' is the home); the caller closes what it gets. */
  const openDir = (home: string, rel: string): Dir => {
    let dir = openHome(home);
    for (const name of rel === '' ? [] : rel.split('/')) {
      try {
        const next = openChild(dir, name);
        fs.closeSync(dir.fd);
        dir = next;
      } catch (error) {
        fs.closeSync(dir.fd);
        throw error;
      }
    }
    return dir;
  };

  /**
   * How deep and how long a path the walk follows. A folder deeper than MAX_DEPTH (the home is 0), or whose
   * home-relative path is longer than MAX_PATH_BYTES, is kept (empty) but not entered, and listed as unreadable
   * (ETOODEEP, ENAMETOOLONG): an agent can nest folders without end (mkdir a; cd a), and the walk holds one open
   * folder per level (well under the process's descriptor limit, for each of the workers) and recurses once per
   * level; what it keeps must also fit a path when restored (PATH_MAX is 4096 with the restore folder's own path).
   */
  const MAX_DEPTH = 256;
  const MAX_PATH_BYTES = 3072;

  const walk = ({ home, from, depth }: { home: string; from: string; depth?: number }) => {
    const entries: unknown[] = [];
    const unreadable: { path: string; code: string }[] = [];
    const cut: string[] = [];
    const fromDepth = from === '' ? 0 : from.split('/').length;
    const visit = (dir: Dir, rel: string, level: number) => {
      let names: string[];
      try {
        names = fs.readdirSync(dir.path).sort();
      } catch (error) {
        unreadable.push({ path: rel || '.', code: code(error) });
        return;
      }
      for (const name of names) {
        const path = rel === '' ? name : `${rel}/${name}`;
        const named = `${dir.path}/${name}`;
        let stat;
        try {
          stat = fs.lstatSync(named, { bigint: true });
        } catch {
          continue; // gone meanwhile
        }
        const mtime = Number(stat.mtimeNs / 1_000_000n);
        const mode = Number(stat.mode & 0o7777n);
        if (stat.isDirectory()) {
          entries.push({ type: 'dir', path, mode, mtime });
          if (fromDepth + level + 1 >= MAX_DEPTH || Buffer.byteLength(path) > MAX_PATH_BYTES) {
            unreadable.push({ path, code: fromDepth + level + 1 >= MAX_DEPTH ? 'ETOODEEP' : 'ENAMETOOLONG' });
            continue;
          }
          if (depth !== undefined && level + 1 >= depth) {
            cut.push(path);
            continue;
          }
          let child: Dir;
          try {
            child = openChild(dir, name);
          } catch (error) {
            // swapped for a link (or removed) since the lstat: its contents are not read
            unreadable.push({ path, code: code(error) });
            continue;
          }
          try {
            visit(child, path, level + 1);
          } finally {
            fs.closeSync(child.fd);
          }
        } else if (stat.isFile()) {
          // any write or metadata change moves ctime, which no one can set back
          const fp = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
          const ctime = Number(stat.ctimeNs / 1_000_000n);
          const coarse = stat.ctimeNs % 1_000_000_000n === 0n;
          entries.push({ type: 'file', path, mode, mtime, size: Number(stat.size), fp, ctime, coarse });
        } else if (stat.isSymbolicLink()) {
          let target: string;
          try {
            target = fs.readlinkSync(named);
          } catch {
            continue; // gone (or no longer a link) since the lstat: left out, like an entry gone before it
          }
          entries.push({ type: 'symlink', path, mtime, target });
        } else {
          entries.push({ type: 'other', path });
        }
      }
    };
    let top: Dir;
    try {
      top = openDir(home, from);
    } catch (error) {
      // a folder swapped for a link (or gone) since the walk above listed it: skipped
      unreadable.push({ path: from || '.', code: code(error) });
      return { entries, unreadable, cut };
    }
    try {
      visit(top, from, 0);
    } finally {
      fs.closeSync(top.fd);
    }
    return { entries, unreadable, cut };
  };

  /**
   * Whether the store has this content whole enough to de-duplicate against: an object of another size in its
   * place (what a power loss can leave of one never fsynced: empty) is not trusted, but written again.
   */
  const whole = (target: string, size: number) =>
    fs.statSync(target, { throwIfNoEntry: false })?.size === size;

  /** Moves a written temp file to its object name, or drops it when the store has that content already. */
  const adopt = (temp: string, target: string, size: number) => {
    if (whole(target, size)) {
      fs.rmSync(temp, { force: true });
      return 0;
    }
    fs.renameSync(temp, target);
    return size;
  };

  /** A large file, copied into tmp/ through the buffer and hashed on the way: what is hashed is what is kept. */
  const storeStreamed = (fd: number, objects: string, tmp: string) => {
    const temp = join(tmp, `put-${randomBytes(8).toString('hex')}`);
    const out = fs.openSync(temp, 'wx', 0o400);
    const hasher = createHash('sha256');
    let size = 0;
    try {
      for (;;) {
        const n = fs.readSync(fd, chunk, 0, chunk.byteLength, null);
        if (n === 0) break;
        hasher.update(chunk.subarray(0, n));
        for (let at = 0; at < n;) at += fs.writeSync(out, chunk, at, n - at);
        size += n;
      }
    } catch (error) {
      fs.closeSync(out);
      fs.rmSync(temp, { force: true });
      throw error;
    }
    fs.closeSync(out);
    const hash = hasher.digest('hex');
    return { hash, size, added: adopt(temp, objectPath(objects, hash), size) };
  };

  /**
   * Files of the home (home-relative paths), each opened in its folder opened as the walk does (see openChild):
   * without following a link in any component (O_NONBLOCK: a FIFO swapped in must not hang), checked, read,
   * stored if new. The folders a job opens stay open for its next files (a few hundred at most).
   */
  const store = ({
    home,
    objects,
    tmp,
    paths,
  }: {
    home: string;
    objects: string;
    tmp: string;
    paths: string[];
  }) => {
    const dirs = new Map<string, Dir>();
    const dirOf = (rel: string): Dir => {
      const known = dirs.get(rel);
      if (known) return known;
      const cut = rel.lastIndexOf('/');
      const dir =
        rel === ''
          ? openHome(home)
          : openChild(dirOf(cut === -1 ? '' : rel.slice(0, cut)), rel.slice(cut + 1));
      if (dirs.size >= 256) {
        for (const open of dirs.values()) fs.closeSync(open.fd);
        dirs.clear();
      }
      dirs.set(rel, dir);
      return dir;
    };
    try {
      return paths.map((path) => {
        let fd: number;
        try {
          const cut = path.lastIndexOf('/');
          const dir = dirOf(cut === -1 ? '' : path.slice(0, cut));
          fd = fs.openSync(`${dir.path}/${path.slice(cut + 1)}`, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
        } catch (error) {
          return { error: code(error) };
        }
        try {
          const stat = fs.fstatSync(fd);
          if (!stat.isFile()) return { error: 'ENOTREG' };
          if (stat.size > WHOLE) return storeStreamed(fd, objects, tmp);
          const data = fs.readFileSync(fd);
          const hash = sha256(data);
          const target = objectPath(objects, hash);
          if (whole(target, data.byteLength)) return { hash, size: data.byteLength, added: 0 };
          const temp = join(tmp, `put-${randomBytes(8).toString('hex')}`);
          fs.writeFileSync(temp, data, { mode: 0o400 });
          return { hash, size: data.byteLength, added: adopt(temp, target, data.byteLength) };
        } catch (error) {
          return { error: code(error) };
        } finally {
          fs.closeSync(fd);
        }
      });
    } finally {
      for (const open of dirs.values()) fs.closeSync(open.fd);
    }
  };

  /** Writes one file from its object, checking size and sha256 on the way; false when they do not match. */
  const restoreOne = (objects: string, file: RestoreFile): 'missing' | 'mismatch' | null => {
    let source: number;
    try {
      source = fs.openSync(objectPath(objects, file.hash), O_RDONLY | O_NOFOLLOW);
    } catch {
      return 'missing';
    }
    try {
      const out = fs.openSync(file.path, 'wx', 0o600); // wx: never through an existing name
      try {
        const hasher = createHash('sha256');
        let size = 0;
        if (file.size <= WHOLE) {
          const data = fs.readFileSync(source);
          if (data.byteLength !== file.size || sha256(data) !== file.hash) return 'mismatch';
          for (let at = 0; at < data.byteLength;) at += fs.writeSync(out, data, at);
          size = data.byteLength;
        } else {
          for (;;) {
            const n = fs.readSync(source, chunk, 0, chunk.byteLength, null);
            if (n === 0) break;
            size += n;
            if (size > file.size) return 'mismatch';
            hasher.update(chunk.subarray(0, n));
            for (let at = 0; at < n;) at += fs.writeSync(out, chunk, at, n - at);
          }
          if (size !== file.size || hasher.digest('hex') !== file.hash) return 'mismatch';
        }
        fs.fchmodSync(out, file.mode & 0o777);
        fs.futimesSync(out, file.mtime / 1000, file.mtime / 1000);
        return null;
      } finally {
        fs.closeSync(out);
      }
    } finally {
      fs.closeSync(source);
    }
  };

  const restore = ({ objects, files }: { objects: string; files: RestoreFile[] }) => {
    for (const [index, file] of files.entries()) {
      const why = restoreOne(objects, file);
      if (why) return { failed: { index, why } };
    }
    return { failed: null };
  };

  const mkdirs = ({ paths }: { paths: string[] }) => {
    for (const path of paths) fs.mkdirSync(path, { mode: 0o700 });
    return null;
  };

  const finish = ({
    links,
    dirs,
  }: {
    links: { path: string; target: string; mtime: number }[];
    dirs: { path: string; mode: number; mtime: number }[];
  }) => {
    for (const link of links) {
      fs.symlinkSync(link.target, link.path);
      try {
        fs.lutimesSync(link.path, link.mtime / 1000, link.mtime / 1000);
      } catch {
        // times of a link are kept where the system allows it
      }
    }
    for (const dir of dirs) {
      fs.chmodSync(dir.path, dir.mode);
      fs.utimesSync(dir.path, dir.mtime / 1000, dir.mtime / 1000);
    }
    return null;
  };

  const wholeJob = ({ objects, items }: { objects: string; items: { hash: string; size: number }[] }) =>
    items.map(({ hash, size }) => whole(objectPath(objects, hash), size));

  const ops: Record<string, (args: never) => unknown> = {
    walk,
    store,
    whole: wholeJob,
    restore,
    mkdirs,
    finish,
  };
  parentPort!.on('message', ({ id, op, args }: Request) => {
    try {
      parentPort!.postMessage({ id, result: ops[op]!(args as never) } satisfies Reply);
    } catch (error) {
      const { message, code } = error as { message?: string; code?: string };
      parentPort!.postMessage({ id, error: { message: String(message ?? error), code } } satisfies Reply);
    }
  });
}

interface Job {
  request: Request;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** One worker thread and the job it runs (one at a time: the pool hands out the next when it answers). */
interface Slot {
  worker: Worker;
  job: Job | undefined;
}

/**
 * The file workers: started on first use, each runs one job at a time, and jobs wait in one queue for the next
 * free worker (so a few large files do not queue behind each other while another worker idles). Idle workers do
 * not keep the process alive.
 */
export class FileWorker {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  /** @param size how many workers at most (default: one per core, two to four). */
  constructor(readonly size = Math.min(4, Math.max(2, availableParallelism()))) {}

  run<K extends keyof Jobs>(op: K, args: Jobs[K]['args']): Promise<Jobs[K]['result']> {
    if (this.closed) return Promise.reject(new Error('the snapshot file workers are stopped'));
    return new Promise((resolve, reject) => {
      this.queue.push({
        request: { id: this.nextId++, op, args },
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    this.fail(this.queue.splice(0), new Error('the snapshot file workers stopped'));
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.job);
      if (!slot && this.slots.length < this.size) slot = this.start();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref(); // while it works for someone, it keeps the process alive
      slot.worker.postMessage(job.request);
    }
  }

  private start(): Slot {
    // __name: what esbuild's keepNames (tsx, vitest) wraps named functions in; harmless elsewhere
    const worker = new Worker(`var __name = (f) => f;\n(${workerBody.toString()})();`, { eval: true });
    worker.unref();
    const slot: Slot = { worker, job: undefined };
    worker.on('message', ({ result, error }: Reply) => {
      const job = slot.job;
      slot.job = undefined;
      worker.unref();
      if (job) {
        if (error) job.reject(Object.assign(new Error(error.message), { code: error.code }));
        else job.resolve(result);
      }
      this.pump();
    });
    worker.on('error', (error) => this.lost(slot, error));
    worker.on('exit', () => this.lost(slot, new Error('a snapshot file worker stopped')));
    this.slots.push(slot);
    return slot;
  }

  /** A worker that died fails the job it ran; the others go on, and a new worker is started when needed. */
  private lost(slot: Slot, error: Error): void {
    const index = this.slots.indexOf(slot);
    if (index !== -1) this.slots.splice(index, 1);
    const job = slot.job;
    slot.job = undefined;
    if (job) this.fail([job], error);
    if (!this.closed) this.pump();
  }

  private fail(jobs: Job[], error: Error): void {
    for (const job of jobs) job.reject(error);
  }
}
