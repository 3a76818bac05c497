import { constants, promises as fsp, type Stats } from 'node:fs';
import { resolve } from 'node:path';
import {
  FS_MAX_LIST_ENTRIES,
  FS_MAX_READ_BYTES,
  FS_MAX_WRITE_BYTES,
  type FsEncoding,
  type FsEntry,
  type FsListResult,
  type FsReadResult,
} from '../../shared/protocol/fs.js';
import { isHabitatError } from '../../shared/protocol/index.js';
import { TEMP_PREFIX, tempName, writeAtomic } from './atomicWrite.js';
import { display, errnoOf, fsError, mapFsError, symlinkRefused } from './errors.js';
import { isWellFormedUnicode, joinHomePath, parseHomePath } from './homePath.js';
import { HomeQuota } from './HomeQuota.js';
import { HomeWatcher, type FsChangeListener } from './HomeWatcher.js';
import {
  HomeResolver,
  type DirRef,
  type FileOwner,
  type ResolutionMode,
  type ResolverHooks,
} from './resolver.js';
import {
  copyFileInto,
  copySymlink,
  copyTree,
  openRegularFile,
  readNames,
  removeTree,
  treeSize,
  type ByteBudget,
} from './tree.js';

export interface AgentFsOptions {
  /** The home folder, absolute. */
  root: string;
  /** Owner of everything created: set when the home belongs to another user than the kernel (a container agent). */
  owner?: FileOwner;
  /** Bytes of regular files the home may hold, checked on write and copy. Default 1 GiB. */
  quotaBytes?: number;
  /** Largest single read. Default FS_MAX_READ_BYTES (8 MiB). */
  maxReadBytes?: number;
  /** Largest single write. Default FS_MAX_WRITE_BYTES (8 MiB). */
  maxWriteBytes?: number;
  /** Most concurrent watches. Default 32. */
  maxWatches?: number;
  /**
   * How long a measured usage may be reused by quota checks, ms (the kernel's own writes keep it current; the
   * agent's processes may change the home behind it). Default 2000; 0 measures on every write.
   */
  usageCacheMs?: number;
  /** Debounce of watch events, ms. Default 50. */
  watchDebounceMs?: number;
  /** 'portable' forces the resolution used where /proc/self/fd is missing (tests, diagnostics). */
  resolution?: ResolutionMode;
  /** Test seam, see ResolverHooks. */
  hooks?: ResolverHooks;
  /**
   * Names of the shared folders mounted at shared/<name> inside the agent's sandbox. Their files live in the
   * workspace, not in the home, which holds only an empty mount point: paths into one are refused (E_UNAVAILABLE)
   * rather than reading that emptiness or writing where no sandbox sees it.
   */
  sharedFolders?: () => ReadonlySet<string>;
}

export interface ReadOptions {
  encoding?: FsEncoding;
  offset?: number;
  length?: number;
}

export interface WriteOptions {
  /** How a string content is encoded; ignored for bytes. Default 'utf8'. */
  encoding?: FsEncoding;
  createParents?: boolean;
  /**
   * Add to the end of the file (created if missing) instead of replacing it. Not atomic: for a file written in
   * parts under a temporary name, then moved into place.
   */
  append?: boolean;
  /**
   * The file's permission bits after the write (0 to 0o777: never setuid, setgid or sticky). Without it a
   * replaced file keeps its mode and a new one gets 0644 (less the kernel's umask).
   */
  mode?: number;
  /**
   * Who writes, compared by identity (the bridge passes the connection's). A file named TEMP_PREFIX* written with
   * a holder is a part file of a write in parts: it is the holder's until moved or deleted, releaseParts(holder)
   * removes it if it is still there, and no sweep touches it meanwhile.
   */
  holder?: object;
}

export interface FsWatch {
  readonly id: string;
  /** The watched path, home-relative. */
  readonly path: string;
  dispose(): void;
}

const GIB = 1024 ** 3;
/** A listing reads at most this many names, however large the folder. */
const LIST_SCAN_CAP = 10 * FS_MAX_LIST_ENTRIES;
const STAT_BATCH = 64;

/**
 * The files of one agent's home. Every path is home-relative and resolved by HomeResolver, which never follows a
 * symlink; see there for the policy. Not an escape: a hard link inside the home to a file elsewhere. Creating one
 * needs access to that file already (and Linux's fs.protected_hardlinks), and writes here never go through it:
 * they replace the name (temp file and rename), so the other file keeps its content.
 *
 * Mutations run one at a time per instance, so the quota check and the write it guards cannot interleave with
 * another; use one AgentFs per home. The quota counts regular files' bytes, each inode once, and is a check at the
 * kernel's door: what an agent's own processes write is for the sandbox (disk quota, container limits) to bound.
 */
export class AgentFs {
  readonly root: string;
  private readonly maxReadBytes: number;
  private readonly maxWriteBytes: number;
  private readonly maxWatches: number;
  private readonly watchDebounceMs: number;
  private readonly quota: HomeQuota;
  private readonly resolver: HomeResolver;
  private readonly watches = new Map<string, HomeWatcher>();
  private watchSeq = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /** Part files of writes in parts in progress, by home path: see WriteOptions.holder. */
  private readonly parts = new Map<string, object>();
  /** When this instance opened the home: a temp file no write holds and older than this is a leftover. */
  private readonly openedAt = Date.now();
  private readonly sharedFolders: (() => ReadonlySet<string>) | undefined;

  constructor(options: AgentFsOptions) {
    this.root = resolve(options.root);
    this.maxReadBytes = positive(options.maxReadBytes ?? FS_MAX_READ_BYTES, 'maxReadBytes');
    this.maxWriteBytes = positive(options.maxWriteBytes ?? FS_MAX_WRITE_BYTES, 'maxWriteBytes');
    this.maxWatches = positive(options.maxWatches ?? 32, 'maxWatches');
    this.watchDebounceMs = options.watchDebounceMs ?? 50;
    this.sharedFolders = options.sharedFolders;
    this.resolver = new HomeResolver(this.root, options.resolution ?? 'auto', options.hooks, options.owner);
    this.quota = new HomeQuota(
      this.resolver,
      positive(options.quotaBytes ?? GIB, 'quotaBytes'),
      options.usageCacheMs ?? 2000,
    );
  }

  /** One entry, lstat semantics: a symlink is described, not followed. */
  async stat(path: string): Promise<FsEntry> {
    const components = this.parse(path);
    if (components.length === 0) {
      const root = await this.resolver.openRoot();
      try {
        return entryOf(await root.stat(), components);
      } finally {
        await root.close();
      }
    }
    return this.inParent(components, async (dir, name) =>
      entryOf(await this.resolver.lstat(dir, name), components),
    );
  }

  /** A folder's entries, sorted by name (code unit order). */
  async list(path = '.', options: { limit?: number } = {}): Promise<FsListResult> {
    const components = this.parse(path);
    const limit = options.limit ?? FS_MAX_LIST_ENTRIES;
    if (!Number.isInteger(limit) || limit < 1 || limit > FS_MAX_LIST_ENTRIES) {
      throw fsError('E_INVALID', `limit must be an integer from 1 to ${FS_MAX_LIST_ENTRIES}`);
    }
    const dir = await this.resolver.openDir(components);
    try {
      const names = (await readNames(dir, LIST_SCAN_CAP)).sort(byCodeUnits);
      const entries: FsEntry[] = [];
      for (let start = 0; start < Math.min(limit, names.length); start += STAT_BATCH) {
        const batch = names.slice(start, Math.min(start + STAT_BATCH, limit));
        const stats = await Promise.all(batch.map((name) => this.resolver.lstatOrNull(dir, name)));
        stats.forEach((entry, i) => entry && entries.push(entryOf(entry, [...components, batch[i]!])));
      }
      return {
        path: joinHomePath(components),
        entries,
        truncated: names.length > limit || names.length >= LIST_SCAN_CAP,
      };
    } finally {
      await dir.close();
    }
  }

  /** A file, or a byte range of it. Without a length, the rest of the file, which must fit maxReadBytes. */
  async read(path: string, options: ReadOptions = {}): Promise<FsReadResult> {
    const components = this.parse(path);
    const encoding = checkEncoding(options.encoding ?? 'utf8');
    const offset = byteCount(options.offset ?? 0, 'offset');
    const length = options.length === undefined ? undefined : byteCount(options.length, 'length');
    if (length !== undefined && length > this.maxReadBytes) {
      throw fsError(
        'E_LIMIT',
        `a read is capped at ${this.maxReadBytes} bytes: read in ranges (offset, length)`,
      );
    }
    if (components.length === 0) throw fsError('E_CONFLICT', '~ is a folder');
    return this.inParent(components, async (dir, name) => {
      const { handle, stats } = await openRegularFile(this.resolver, dir, name);
      try {
        const start = Math.min(offset, stats.size);
        const available = stats.size - start;
        if (length === undefined && available > this.maxReadBytes) {
          throw fsError(
            'E_LIMIT',
            `${display(components)} has ${available} bytes to read, over the ${this.maxReadBytes}-byte cap: ` +
              'read in ranges (offset, length)',
          );
        }
        const buffer = Buffer.alloc(Math.min(length ?? available, available));
        let filled = 0;
        while (filled < buffer.length) {
          const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, start + filled);
          if (bytesRead === 0) break; // shrank since fstat
          filled += bytesRead;
        }
        return {
          path: joinHomePath(components),
          content: buffer.subarray(0, filled).toString(encoding),
          encoding,
          size: stats.size,
          offset: start,
          length: filled,
          truncated: start + filled < stats.size,
        };
      } finally {
        await handle.close();
      }
    });
  }

  /** Creates or replaces a file atomically. A string is decoded with `encoding`; bytes are written as they are. */
  async write(path: string, content: string | Uint8Array, options: WriteOptions = {}): Promise<FsEntry> {
    const components = this.parse(path);
    const name = components.at(-1);
    if (name === undefined) throw fsError('E_CONFLICT', '~ is a folder');
    const data = decodeContent(content, options.encoding ?? 'utf8');
    const mode = options.mode === undefined ? undefined : permissionBits(options.mode);
    if (data.byteLength > this.maxWriteBytes) {
      throw fsError(
        'E_LIMIT',
        `a write is capped at ${this.maxWriteBytes} bytes; this one has ${data.byteLength}`,
      );
    }
    return this.exclusive(async () => {
      const parent = components.slice(0, -1);
      let dir: DirRef;
      try {
        dir = await this.resolver.openDir(parent);
      } catch (error) {
        if (!options.createParents || !isHabitatError(error) || error.code !== 'E_NOT_FOUND') throw error;
        await this.quota.reserve(data.byteLength, 0, components); // before any folder is made: a refusal changes nothing
        dir = await this.resolver.openDir(parent, { create: true });
      }
      try {
        if (options.holder && name.startsWith(TEMP_PREFIX)) {
          const path = joinHomePath(components);
          if (!this.parts.has(path)) await this.sweepTemp(dir); // a new write in parts: clear what crashed ones left
          this.parts.set(path, options.holder);
        }
        const existing = await this.resolver.lstatOrNull(dir, name);
        if (existing) assertReplaceableFile(existing, components);
        if (options.append) {
          await this.quota.reserve(data.byteLength, 0, components);
          await appendTo(this.resolver, dir, name, components, data, mode);
          this.quota.adjust(data.byteLength);
          return entryOf(await this.resolver.lstat(dir, name), components);
        }
        const reclaimed = existing ? reclaimable(existing) : 0;
        await this.quota.reserve(data.byteLength, reclaimed, components);
        const keptMode = existing ? existing.mode & 0o7777 : undefined;
        await writeAtomic(this.resolver, dir, name, data, mode ?? keptMode);
        this.quota.adjust(data.byteLength - reclaimed);
        return entryOf(await this.resolver.lstat(dir, name), components);
      } finally {
        await dir.close();
      }
    });
  }

  /** Creates a folder; with recursive, its missing parents too, and an existing folder is not an error. */
  async mkdir(path: string, options: { recursive?: boolean } = {}): Promise<FsEntry> {
    const components = this.parse(path);
    return this.exclusive(async () => {
      if (options.recursive) {
        const dir = await this.resolver.openDir(components, { create: true });
        try {
          return entryOf(await dir.stat(), components);
        } finally {
          await dir.close();
        }
      }
      if (components.length === 0) throw fsError('E_CONFLICT', '~ already exists');
      return this.inParent(components, async (dir, name) => {
        try {
          await fsp.mkdir(this.resolver.childPath(dir, name), 0o755);
          await this.resolver.adopt(dir, name);
        } catch (error) {
          const existing = errnoOf(error) === 'EEXIST' ? await this.resolver.lstatOrNull(dir, name) : null;
          throw existing?.isSymbolicLink() ? symlinkRefused(components) : mapFsError(error, components);
        }
        await dir.sync();
        return entryOf(await this.resolver.lstat(dir, name), components);
      });
    });
  }

  /**
   * Moves (renames) a file, link or folder. Without overwrite an existing destination is refused; the check and
   * the rename are two steps (Node has no renameat2), which is harmless inside one home.
   */
  async move(from: string, to: string, options: { overwrite?: boolean } = {}): Promise<FsEntry> {
    const source = this.parse(from);
    const target = this.parse(to);
    if (source.length === 0) throw fsError('E_DENIED', "the agent's home itself cannot be moved");
    if (target.length === 0) throw fsError('E_DENIED', "the agent's home itself cannot be replaced");
    if (isWithin(target, source)) {
      if (target.length === source.length) return this.stat(from);
      throw fsError('E_INVALID', `cannot move ${display(source)} into itself`);
    }
    return this.exclusive(() =>
      this.inParent(source, (sourceDir, sourceName) =>
        this.inParent(target, async (targetDir, targetName) => {
          const moving = await this.resolver.lstat(sourceDir, sourceName);
          const existing = await this.resolver.lstatOrNull(targetDir, targetName);
          if (existing) assertOverwritable(existing, moving, target, options.overwrite);
          try {
            await fsp.rename(
              this.resolver.childPath(sourceDir, sourceName),
              this.resolver.childPath(targetDir, targetName),
            );
          } catch (error) {
            throw mapFsError(error, target);
          }
          if (existing) this.quota.forget(); // a replaced file may have freed bytes
          this.parts.delete(joinHomePath(source)); // a part file, moved into place, is no one's to remove
          await Promise.all([sourceDir.sync(), targetDir.sync()]);
          return entryOf(await this.resolver.lstat(targetDir, targetName), target);
        }),
      ),
    );
  }

  /**
   * Copies a file, link or folder. Links are copied as links (never read through); FIFOs, sockets and devices
   * inside a folder are skipped. The copy is built under a temp name next to the destination and renamed into
   * place, so a failure (quota included) leaves nothing behind.
   */
  async copy(from: string, to: string, options: { overwrite?: boolean } = {}): Promise<FsEntry> {
    const source = this.parse(from);
    const target = this.parse(to);
    if (target.length === 0) throw fsError('E_DENIED', "the agent's home itself cannot be replaced");
    if (isWithin(target, source)) throw fsError('E_INVALID', `cannot copy ${display(source)} into itself`);
    return this.exclusive(() =>
      this.inParent(source, (sourceDir, sourceName) =>
        this.inParent(target, async (targetDir, targetName) => {
          const copying = await this.resolver.lstat(sourceDir, sourceName);
          if (!copying.isFile() && !copying.isDirectory() && !copying.isSymbolicLink()) {
            throw fsError('E_CONFLICT', `${display(source)} is not a regular file`);
          }
          const existing = await this.resolver.lstatOrNull(targetDir, targetName);
          if (existing) assertOverwritable(existing, copying, target, options.overwrite);
          const bytes = copying.isDirectory()
            ? await this.childTreeSize(sourceDir, sourceName)
            : copying.isFile()
              ? copying.size
              : 0;
          const reclaimed = existing ? reclaimable(existing) : 0;
          const budget = await this.quota.reserve(bytes, reclaimed, target);
          const allowed = budget.remaining;
          const temp = tempName();
          try {
            await this.copyInto(sourceDir, sourceName, copying, targetDir, temp, budget);
            if (!options.overwrite && (await this.resolver.lstatOrNull(targetDir, targetName))) {
              throw fsError('E_CONFLICT', `${display(target)} already exists`);
            }
            await fsp.rename(
              this.resolver.childPath(targetDir, temp),
              this.resolver.childPath(targetDir, targetName),
            );
          } catch (error) {
            await this.discard(targetDir, temp);
            throw mapFsError(error, target);
          }
          this.quota.adjust(allowed - budget.remaining - reclaimed);
          await targetDir.sync();
          return entryOf(await this.resolver.lstat(targetDir, targetName), target);
        }),
      ),
    );
  }

  /** Deletes a file, a symlink (never its target) or a folder; a non-empty folder only with recursive. */
  async delete(path: string, options: { recursive?: boolean } = {}): Promise<{ path: string }> {
    const components = this.parse(path);
    if (components.length === 0) throw fsError('E_DENIED', "the agent's home itself cannot be deleted");
    return this.exclusive(() =>
      this.inParent(components, async (dir, name) => {
        const stats = await this.resolver.lstat(dir, name);
        const target = this.resolver.childPath(dir, name);
        try {
          if (!stats.isDirectory()) {
            await fsp.unlink(target);
          } else {
            if (options.recursive) await this.emptyChild(dir, name);
            await fsp.rmdir(target);
          }
        } catch (error) {
          throw mapFsError(error, components);
        } finally {
          this.quota.forget(); // freed bytes (even part of a tree) show at the next check
        }
        this.parts.delete(joinHomePath(components));
        await dir.sync();
        return { path: joinHomePath(components) };
      }),
    );
  }

  /** Watches a file, or a folder recursively; the listener gets home-relative changes. */
  async watch(path: string, listener: FsChangeListener): Promise<FsWatch> {
    const components = this.parse(path);
    if (this.watches.size >= this.maxWatches) {
      throw fsError('E_LIMIT', `at most ${this.maxWatches} watches per home; unwatch one first`);
    }
    const watcher = new HomeWatcher(this.resolver, components, listener, {
      debounceMs: this.watchDebounceMs,
      maxFolders: 8192,
      maxEntries: 200_000,
    });
    try {
      await watcher.start();
    } catch (error) {
      watcher.dispose();
      throw mapFsError(error, components);
    }
    const id = `w${++this.watchSeq}`;
    this.watches.set(id, watcher);
    return { id, path: joinHomePath(components), dispose: () => this.dropWatch(id) };
  }

  unwatch(id: string): void {
    if (!this.watches.has(id)) throw fsError('E_NOT_FOUND', `no watch ${JSON.stringify(id.slice(0, 64))}`);
    this.dropWatch(id);
  }

  /**
   * Removes the part files `holder` still holds: its writes in parts that never finished (the bridge calls this
   * when the connection that wrote them closes, however it closed). Queued after every write already asked for,
   * so a part still being written is removed after its last write, not re-created by it.
   */
  releaseParts(holder: object): Promise<void> {
    return this.exclusive(async () => {
      for (const [path, owner] of [...this.parts]) {
        if (owner !== holder) continue;
        this.parts.delete(path);
        await this.inParent(parseHomePath(path), async (dir, name) => {
          const stats = await this.resolver.lstatOrNull(dir, name);
          if (stats && !stats.isDirectory()) await fsp.unlink(this.resolver.childPath(dir, name));
        }).catch(() => undefined); // gone, or its folder with it
      }
      this.quota.forget();
    });
  }

  /** Bytes held by regular files in the home, each inode once, measured now. */
  usage(): Promise<number> {
    return this.exclusive(() => this.quota.measure()); // not mid-write, so the cached figure stays exact
  }

  /** Stops every watch. */
  /** A home path's components; one into a mounted shared folder is refused (see AgentFsOptions.sharedFolders). */
  private parse(path: string): string[] {
    const components = parseHomePath(path);
    const [top, name] = components;
    if (top === 'shared' && name !== undefined && this.sharedFolders?.().has(name)) {
      throw fsError(
        'E_UNAVAILABLE',
        `${joinHomePath(['shared', name])} is a shared folder, mounted only inside the agent's sandbox: work in it ` +
          'with commands there (run_command, habitat exec)',
      );
    }
    return components;
  }

  close(): void {
    for (const id of [...this.watches.keys()]) this.dropWatch(id);
  }

  private dropWatch(id: string): void {
    this.watches.get(id)?.dispose();
    this.watches.delete(id);
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async inParent<T>(components: readonly string[], task: (dir: DirRef, name: string) => Promise<T>) {
    const dir = await this.resolver.openDir(components.slice(0, -1));
    try {
      return await task(dir, components[components.length - 1]!);
    } finally {
      await dir.close();
    }
  }

  private async childTreeSize(dir: DirRef, name: string): Promise<number> {
    const child = await this.resolver.openChild(dir, name);
    try {
      return await treeSize(this.resolver, child);
    } finally {
      await child.close();
    }
  }

  private async copyInto(
    from: DirRef,
    fromName: string,
    stats: Stats,
    to: DirRef,
    toName: string,
    budget: ByteBudget,
  ) {
    if (stats.isSymbolicLink()) return copySymlink(this.resolver, from, fromName, to, toName);
    if (stats.isFile()) {
      const { handle, stats: opened } = await openRegularFile(this.resolver, from, fromName);
      try {
        return await copyFileInto(this.resolver, handle, to, toName, opened.mode & 0o7777, budget);
      } finally {
        await handle.close();
      }
    }
    await fsp.mkdir(this.resolver.childPath(to, toName), 0o700);
    await this.resolver.adopt(to, toName);
    const source = await this.resolver.openChild(from, fromName);
    try {
      const target = await this.resolver.openChild(to, toName);
      try {
        await copyTree(this.resolver, source, target, budget);
        await target.chmod(stats.mode & 0o7777);
      } finally {
        await target.close();
      }
    } finally {
      await source.close();
    }
  }

  private async emptyChild(dir: DirRef, name: string): Promise<void> {
    const child = await this.resolver.openChild(dir, name);
    try {
      await removeTree(this.resolver, child);
    } finally {
      await child.close();
    }
  }

  /**
   * Removes the temp files and folders (TEMP_PREFIX*) of an open folder that are leftovers: no write in parts holds
   * them, and they are older than this instance, so an earlier kernel wrote them and stopped (a crash, a KILL)
   * before it renamed or removed them. Runs inside exclusive(): no write or copy of ours is half done meanwhile.
   */
  private async sweepTemp(dir: DirRef): Promise<void> {
    const names = await readNames(dir, LIST_SCAN_CAP);
    let removed = false;
    for (const name of names) {
      if (!name.startsWith(TEMP_PREFIX) || this.parts.has(joinHomePath([...dir.components, name]))) continue;
      const stats = await this.resolver.lstatOrNull(dir, name).catch(() => null);
      if (!stats || stats.mtimeMs >= this.openedAt) continue;
      await this.discard(dir, name);
      removed = true;
    }
    if (removed) this.quota.forget();
  }

  /** Best effort removal of a temp file or folder after a failed copy. */
  private async discard(dir: DirRef, name: string): Promise<void> {
    const stats = await this.resolver.lstatOrNull(dir, name).catch(() => null);
    if (!stats) return;
    const path = this.resolver.childPath(dir, name);
    if (!stats.isDirectory()) return fsp.unlink(path).catch(() => undefined);
    await this.emptyChild(dir, name).catch(() => undefined);
    await fsp.rmdir(path).catch(() => undefined);
  }
}

function entryOf(stats: Stats, components: readonly string[]): FsEntry {
  return {
    name: components.at(-1) ?? '~',
    path: joinHomePath(components),
    type: stats.isFile()
      ? 'file'
      : stats.isDirectory()
        ? 'dir'
        : stats.isSymbolicLink()
          ? 'symlink'
          : 'other',
    size: stats.size,
    mtime: stats.mtime.toISOString(),
    mode: stats.mode & 0o7777,
  };
}

/** Bytes that replacing this entry frees: none while another hard link keeps the inode. */
function reclaimable(stats: Stats): number {
  return stats.isFile() && stats.nlink === 1 ? stats.size : 0;
}

function assertReplaceableFile(stats: Stats, components: readonly string[]): void {
  if (stats.isSymbolicLink()) throw symlinkRefused(components);
  if (stats.isDirectory()) throw fsError('E_CONFLICT', `${display(components)} is a folder`);
  if (!stats.isFile()) throw fsError('E_CONFLICT', `${display(components)} is not a regular file`);
}

function assertOverwritable(
  existing: Stats,
  incoming: Stats,
  target: readonly string[],
  overwrite?: boolean,
) {
  if (!overwrite) throw fsError('E_CONFLICT', `${display(target)} already exists`);
  if (existing.isDirectory() || incoming.isDirectory()) {
    throw fsError(
      'E_CONFLICT',
      `${display(target)} already exists: only a file or link replaces a file or link`,
    );
  }
}

/** Whether `inner` is `outer` or lies under it. */
function isWithin(inner: readonly string[], outer: readonly string[]): boolean {
  return inner.length >= outer.length && outer.every((name, i) => inner[i] === name);
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeContent(content: string | Uint8Array, encoding: FsEncoding): Buffer {
  if (typeof content !== 'string') return Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  if (checkEncoding(encoding) === 'base64') {
    // Buffer.from would silently skip bad characters: refuse them instead.
    if (content.length % 4 !== 0 || !BASE64.test(content))
      throw fsError('E_INVALID', 'content is not valid base64');
    return Buffer.from(content, 'base64');
  }
  if (!isWellFormedUnicode(content))
    throw fsError('E_INVALID', 'content is not valid Unicode (a lone surrogate)');
  return Buffer.from(content, 'utf8');
}

function checkEncoding(encoding: string): FsEncoding {
  if (encoding !== 'utf8' && encoding !== 'base64')
    throw fsError('E_INVALID', "encoding is 'utf8' or 'base64'");
  return encoding;
}

function byteCount(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw fsError('E_INVALID', `${what} must be a whole number >= 0`);
  return value;
}

function permissionBits(mode: number): number {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) {
    throw fsError('E_INVALID', 'mode is a whole number from 0 to 0o777 (511)');
  }
  return mode;
}

function positive(value: number, what: string): number {
  if (!(value > 0)) throw new RangeError(`AgentFs: ${what} must be positive`);
  return value;
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Appends to a regular file in an open folder (created if missing), fsynced, then gives it `mode` if one is set.
 * O_NOFOLLOW (openFile) refuses a link, O_NONBLOCK a FIFO swapped in (no reader: ENXIO, never a hang); the opened
 * file must be a regular one.
 */
async function appendTo(
  resolver: HomeResolver,
  dir: DirRef,
  name: string,
  components: readonly string[],
  data: Uint8Array,
  mode?: number,
): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NONBLOCK ?? 0);
  const handle = await resolver.openFile(dir, name, flags, 0o644);
  try {
    if (!(await handle.stat()).isFile())
      throw fsError('E_CONFLICT', `${display(components)} is not a regular file`);
    await handle.write(data);
    if (mode !== undefined) await handle.chmod(mode);
    await handle.sync();
  } catch (error) {
    throw isHabitatError(error) ? error : mapFsError(error, components);
  } finally {
    await handle.close();
  }
}
