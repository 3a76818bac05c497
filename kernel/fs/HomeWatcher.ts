import { watch, type FSWatcher } from 'node:fs';
import { basename } from 'node:path';
import type { FsChangeKind } from '../../shared/protocol/fs.js';
import { TEMP_PREFIX } from './atomicWrite.js';
import { symlinkRefused } from './errors.js';
import type { DirRef, HomeResolver } from './resolver.js';
import { readNames } from './tree.js';

export interface FsChange {
  /** Home-relative. */
  path: string;
  kind: FsChangeKind;
  /** For 'renamed': the path before. */
  oldPath?: string;
}
export type FsChangeListener = (change: FsChange) => void;

export interface HomeWatcherOptions {
  /** Events for the same path within this window are coalesced into one. */
  debounceMs: number;
  /** At most this many folders get an inotify watch (each costs one of the user's max_user_watches). */
  maxFolders: number;
  /** At most this many paths are indexed; deeper changes beyond it go unreported. */
  maxEntries: number;
}

interface Known {
  ino: number;
  dir: boolean;
}

// Paths are keyed by their components joined with '/' ('' is the home): names never contain '/'.
const componentsOf = (key: string): string[] => (key === '' ? [] : key.split('/'));
const childKey = (parent: string, name: string): string => (parent === '' ? name : `${parent}/${name}`);
const isUnder = (key: string, root: string): boolean =>
  root === '' || key === root || key.startsWith(`${root}/`);
const toPath = (key: string): string => (key === '' ? '.' : key);

/**
 * Watches a file, or a folder and everything under it, and reports home-relative changes.
 *
 * Node's own recursive fs.watch on Linux is not used: it walks with synchronous calls and puts a watch on every
 * symlink's target, i.e. outside the home. Instead each folder, reached by the resolver's symlink-refusing walk, is
 * watched through '/proc/self/fd/<fd>', so the watch lands on the folder we resolved even if a path is swapped.
 * Events only say "something happened to this name"; after a short debounce each named path is lstat'ed again (by
 * the same walk) and compared with an index of what was there (inode, folder or not), which yields created /
 * changed / deleted, and 'renamed' when an inode that vanished in a batch reappears under another name. A path
 * that came and went within one debounce is reported deleted: someone may have read it meanwhile.
 * Where /proc/self/fd is missing, the folders are watched by their checked real paths instead (a swap between the
 * check and fs.watch is not prevented there, as for every operation of the portable resolution).
 */
export class HomeWatcher {
  private readonly folders = new Map<string, FSWatcher>();
  private readonly known = new Map<string, Known>();
  /** Paths to re-examine; true when only their disappearance matters (the folder an event came from). */
  private readonly pending = new Map<string, boolean>();
  private readonly rootKey: string;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private fileOnly = false;
  private closed = false;

  constructor(
    private readonly resolver: HomeResolver,
    target: readonly string[],
    private readonly listener: FsChangeListener,
    private readonly options: HomeWatcherOptions,
  ) {
    this.rootKey = target.join('/');
  }

  /** Resolves the target (refusing symlinks, like every other operation) and starts watching. */
  async start(): Promise<void> {
    const target = componentsOf(this.rootKey);
    const name = target.at(-1);
    if (name === undefined) {
      const root = await this.resolver.openRoot();
      try {
        this.known.set('', { ino: (await root.stat()).ino, dir: true });
        await this.indexFolder(root, '', null);
      } finally {
        await root.close();
      }
      return;
    }
    const parent = await this.resolver.openDir(target.slice(0, -1));
    try {
      const stats = await this.resolver.lstat(parent, name);
      if (stats.isSymbolicLink()) throw symlinkRefused(target);
      this.known.set(this.rootKey, { ino: stats.ino, dir: stats.isDirectory() });
      if (stats.isDirectory()) {
        const dir = await this.resolver.openChild(parent, name);
        try {
          await this.indexFolder(dir, this.rootKey, null);
        } finally {
          await dir.close();
        }
      } else {
        // A file is watched through its folder, reporting only its own name.
        this.fileOnly = true;
        this.watchFolder(parent, parent.components.join('/'));
      }
    } finally {
      await parent.close();
    }
  }

  dispose(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const watcher of this.folders.values()) watcher.close();
    this.folders.clear();
    this.known.clear();
    this.pending.clear();
  }

  private watchFolder(dir: DirRef, key: string): void {
    if (this.closed || this.folders.has(key) || this.folders.size >= this.options.maxFolders) return;
    let watcher: FSWatcher;
    try {
      // An event on the folder itself (deleted, moved) comes named after the last component of the watched path.
      const self = basename(dir.path);
      watcher = watch(dir.path, { persistent: false }, (_event, filename) =>
        this.onEvent(key, typeof filename === 'string' ? filename : null, filename === self),
      );
    } catch {
      return; // out of inotify watches, or the folder vanished: changes below it go unreported
    }
    watcher.on('error', () => this.unwatchFolders(key, true));
    this.folders.set(key, watcher);
  }

  private unwatchFolders(root: string, exact = false): void {
    for (const [key, watcher] of this.folders) {
      if (exact ? key !== root : !isUnder(key, root)) continue;
      watcher.close();
      this.folders.delete(key);
    }
  }

  /** Indexes a folder's entries (and watches its subfolders); `created` collects them as creations when given. */
  private async indexFolder(dir: DirRef, key: string, created: FsChange[] | null): Promise<void> {
    this.watchFolder(dir, key);
    for (const name of await readNames(dir).catch(() => [])) {
      if (this.closed || this.known.size >= this.options.maxEntries) return;
      if (name.startsWith(TEMP_PREFIX)) continue;
      const stats = await this.resolver.lstatOrNull(dir, name).catch(() => null);
      if (!stats) continue;
      const entryKey = childKey(key, name);
      this.known.set(entryKey, { ino: stats.ino, dir: stats.isDirectory() });
      created?.push({ path: entryKey, kind: 'created' });
      if (!stats.isDirectory()) continue;
      const child = await this.resolver.openChild(dir, name).catch(() => undefined);
      if (!child) continue;
      try {
        await this.indexFolder(child, entryKey, created);
      } finally {
        await child.close();
      }
    }
  }

  private async index(key: string, created: FsChange[] | null): Promise<void> {
    const dir = await this.resolver.openDir(componentsOf(key)).catch(() => undefined);
    if (!dir) return;
    try {
      await this.indexFolder(dir, key, created);
    } finally {
      await dir.close();
    }
  }

  private onEvent(folderKey: string, filename: string | null, maybeSelf: boolean): void {
    if (this.closed) return;
    if (!this.fileOnly) this.mark(folderKey, true);
    if (filename && !filename.startsWith(TEMP_PREFIX)) {
      const key = childKey(folderKey, filename);
      // A name that may be the folder's own only counts as a child's if that child is known.
      if (!this.fileOnly || key === this.rootKey) this.mark(key, maybeSelf && !this.known.has(key));
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flushing.then(() => this.flush()).catch(() => undefined);
    }, this.options.debounceMs);
  }

  private mark(key: string, disappearanceOnly: boolean): void {
    this.pending.set(key, disappearanceOnly && this.pending.get(key) !== false);
  }

  private async probe(key: string): Promise<Known | null> {
    const components = componentsOf(key);
    const name = components.pop();
    try {
      const dir =
        name === undefined ? await this.resolver.openRoot() : await this.resolver.openDir(components);
      try {
        if (name === undefined) return { ino: (await dir.stat()).ino, dir: true };
        const stats = await this.resolver.lstatOrNull(dir, name);
        return stats ? { ino: stats.ino, dir: stats.isDirectory() } : null;
      } finally {
        await dir.close();
      }
    } catch {
      return null; // unreachable now (a parent vanished or became a link): gone, as far as the home is concerned
    }
  }

  private forget(root: string): void {
    for (const key of this.known.keys()) if (isUnder(key, root)) this.known.delete(key);
    this.unwatchFolders(root);
  }

  private async flush(): Promise<void> {
    if (this.closed) return;
    const batch = [...this.pending].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    this.pending.clear();
    const settled: string[] = []; // subtrees already brought up to date in this batch
    const deleted = new Map<string, string>(); // `${dir}:${ino}` -> key
    const appeared: [string, Known][] = [];
    const changed: string[] = [];
    for (const [key, disappearanceOnly] of batch) {
      if (!isUnder(key, this.rootKey) || settled.some((root) => isUnder(key, root))) continue;
      const before = this.known.get(key);
      const now = await this.probe(key);
      if (this.closed) return;
      if (before && now && before.ino === now.ino && before.dir === now.dir) {
        if (!disappearanceOnly) changed.push(key);
      } else if (before && now) {
        // Replaced in place (an atomic write, a rename over it): the same path, new content.
        this.forget(key);
        this.known.set(key, now);
        if (now.dir) await this.index(key, null);
        settled.push(key);
        changed.push(key);
      } else if (before) {
        this.forget(key);
        settled.push(key);
        deleted.set(`${before.dir}:${before.ino}`, key);
      } else if (now) {
        this.known.set(key, now);
        settled.push(key);
        appeared.push([key, now]);
      } else if (!disappearanceOnly) {
        // Came and went within the debounce: whoever looked in between (an installer that renamed a folder into
        // place and read it) holds a path that is gone, so it is reported as deleted rather than not at all.
        settled.push(key);
        deleted.set(`transient:${key}`, key);
      }
    }
    const arrivals: FsChange[] = [];
    for (const [key, now] of appeared) {
      const identity = `${now.dir}:${now.ino}`;
      const from = deleted.get(identity);
      if (from !== undefined) {
        deleted.delete(identity);
        arrivals.push({ path: toPath(key), kind: 'renamed', oldPath: toPath(from) });
        if (now.dir) await this.index(key, null);
      } else {
        arrivals.push({ path: toPath(key), kind: 'created' });
        if (now.dir) await this.index(key, arrivals);
      }
    }
    if (this.closed) return;
    for (const key of deleted.values()) this.emit({ path: toPath(key), kind: 'deleted' });
    for (const change of arrivals) this.emit(change);
    for (const key of changed) this.emit({ path: toPath(key), kind: 'changed' });
  }

  private emit(change: FsChange): void {
    try {
      this.listener(change);
    } catch {
      // a listener's failure must not stop the watch
    }
  }
}
