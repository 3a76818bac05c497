import { Worker } from 'node:worker_threads';

/**
 * Snapshots touch thousands of small files. Through fs/promises each system call is a thread-pool round trip
 * (here about four times slower than tar); synchronous calls are as fast as tar but would stall the kernel's event
 * loop (terminals, the bridge) whenever the disk is slow. So the small-file work runs with synchronous calls on a
 * worker thread: as fast as tar, and the event loop stays free.
 *
 * The worker runs from the source text of workerBody (eval), so it loads the same way under tsx, vitest and the
 * bundled app: workerBody must be self-contained, reaching Node only through process.getBuiltinModule.
 */

/** One entry of a home as the walk found it (lstat, never following links). */
export type WalkEntry =
  | { type: 'dir'; path: string; mode: number; mtime: number }
  | { type: 'file'; path: string; mode: number; mtime: number; size: number; fp: string }
  | { type: 'symlink'; path: string; mtime: number; target: string }
  | { type: 'other'; path: string };

/** A small file to store: the result is its hash and size, or why it could not be read. */
export type StoreResult = { hash: string; size: number; added: number } | { error: string };

export interface RestoreFile {
  path: string;
  hash: string;
  size: number;
  mode: number;
  mtime: number;
}

interface Jobs {
  walk: {
    args: { home: string };
    result: { entries: WalkEntry[]; unreadable: { path: string; code: string }[] };
  };
  store: { args: { objects: string; tmp: string; paths: string[] }; result: StoreResult[] };
  restore: {
    args: { objects: string; files: RestoreFile[] };
    result: { failed: { index: number; why: 'missing' | 'mismatch' } | null };
  };
}

type Request = { id: number; op: keyof Jobs; args: unknown };
type Reply = { id: number; result?: unknown; error?: { message: string; code?: string } };

function workerBody(): void {
  const { parentPort } = process.getBuiltinModule('node:worker_threads');
  const fs = process.getBuiltinModule('node:fs');
  const { createHash, randomBytes } = process.getBuiltinModule('node:crypto');
  const { join } = process.getBuiltinModule('node:path');
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
  const objectPath = (objects: string, hash: string) => join(objects, hash.slice(0, 2), hash);

  const walk = ({ home }: { home: string }) => {
    const entries: unknown[] = [];
    const unreadable: { path: string; code: string }[] = [];
    const visit = (rel: string) => {
      let names: string[];
      try {
        names = fs.readdirSync(rel === '' ? home : join(home, rel)).sort();
      } catch (error) {
        unreadable.push({ path: rel || '.', code: String((error as { code?: string }).code) });
        return;
      }
      for (const name of names) {
        const path = rel === '' ? name : `${rel}/${name}`;
        let stat;
        try {
          stat = fs.lstatSync(join(home, path), { bigint: true });
        } catch {
          continue; // gone meanwhile
        }
        const mtime = Number(stat.mtimeNs / 1_000_000n);
        const mode = Number(stat.mode & 0o7777n);
        if (stat.isDirectory()) {
          entries.push({ type: 'dir', path, mode, mtime });
          visit(path);
        } else if (stat.isFile()) {
          // device, inode, size, mtime and ctime: any write or metadata change moves ctime
          const fp = `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`;
          entries.push({ type: 'file', path, mode, mtime, size: Number(stat.size), fp });
        } else if (stat.isSymbolicLink()) {
          entries.push({ type: 'symlink', path, mtime, target: fs.readlinkSync(join(home, path)) });
        } else {
          entries.push({ type: 'other', path });
        }
      }
    };
    visit('');
    return { entries, unreadable };
  };

  // opened without following links (O_NONBLOCK: a FIFO swapped in must not hang), checked, read, stored if new
  const store = ({ objects, tmp, paths }: { objects: string; tmp: string; paths: string[] }) =>
    paths.map((path) => {
      let data: Buffer;
      try {
        const fd = fs.openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
        try {
          if (!fs.fstatSync(fd).isFile()) return { error: 'ENOTREG' };
          data = fs.readFileSync(fd);
        } finally {
          fs.closeSync(fd);
        }
      } catch (error) {
        return { error: String((error as { code?: string }).code ?? error) };
      }
      const hash = sha256(data);
      const target = objectPath(objects, hash);
      if (fs.existsSync(target)) return { hash, size: data.byteLength, added: 0 };
      const temp = join(tmp, `put-${randomBytes(8).toString('hex')}`);
      fs.writeFileSync(temp, data, { mode: 0o400 });
      fs.renameSync(temp, target);
      return { hash, size: data.byteLength, added: data.byteLength };
    });

  const restore = ({ objects, files }: { objects: string; files: RestoreFile[] }) => {
    for (const [index, file] of files.entries()) {
      let data: Buffer;
      try {
        data = fs.readFileSync(objectPath(objects, file.hash));
      } catch {
        return { failed: { index, why: 'missing' } };
      }
      if (data.byteLength !== file.size || sha256(data) !== file.hash)
        return { failed: { index, why: 'mismatch' } };
      const fd = fs.openSync(file.path, 'wx', 0o600); // wx: never through an existing name
      try {
        fs.writeSync(fd, data);
        fs.fchmodSync(fd, file.mode & 0o777);
        fs.futimesSync(fd, file.mtime / 1000, file.mtime / 1000);
      } finally {
        fs.closeSync(fd);
      }
    }
    return { failed: null };
  };

  const ops: Record<string, (args: never) => unknown> = { walk, store, restore };
  parentPort!.on('message', ({ id, op, args }: Request) => {
    try {
      parentPort!.postMessage({ id, result: ops[op]!(args as never) } satisfies Reply);
    } catch (error) {
      const { message, code } = error as { message?: string; code?: string };
      parentPort!.postMessage({ id, error: { message: String(message ?? error), code } } satisfies Reply);
    }
  });
}

/** The worker, started on first use; it does not keep the process alive. */
export class FileWorker {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

  run<K extends keyof Jobs>(op: K, args: Jobs[K]['args']): Promise<Jobs[K]['result']> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) worker.ref(); // while it works for someone, it keeps the process alive
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ id, op, args } satisfies Request);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    // __name: what esbuild's keepNames (tsx, vitest) wraps named functions in; harmless elsewhere
    const worker = new Worker(`var __name = (f) => f;\n(${workerBody.toString()})();`, { eval: true });
    worker.unref();
    worker.on('message', ({ id, result, error }: Reply) => {
      const waiting = this.pending.get(id);
      this.pending.delete(id);
      if (this.pending.size === 0) worker.unref();
      if (!waiting) return;
      if (error) waiting.reject(Object.assign(new Error(error.message), { code: error.code }));
      else waiting.resolve(result);
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      this.fail(new Error('the snapshot file worker stopped'));
    });
    this.worker = worker;
    return worker;
  }

  private fail(error: Error): void {
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}
