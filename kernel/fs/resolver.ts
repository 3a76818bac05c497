import { constants, promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { isHabitatError } from '../../shared/protocol/index.js';
import { display, errnoOf, fsError, mapFsError, symlinkRefused } from './errors.js';

const O_DIRECTORY = constants.O_DIRECTORY ?? 0;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const DIR_FLAGS = constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW;

/**
 * A folder inside the home, opened by a walk that followed no symlink.
 *
 * On Linux `path` is '/proc/self/fd/<fd>' for a descriptor we hold: the kernel resolves it to the open folder
 * itself, wherever it now lives, so '<path>/<name>' is the equivalent of openat(fd, name) that Node lacks. A folder
 * (or any ancestor) swapped for a symlink after we opened it cannot redirect us.
 */
export interface DirRef {
  /** Names this folder for path-taking syscalls: append '/' and exactly one name. */
  readonly path: string;
  readonly components: readonly string[];
  stat(): Promise<Stats>;
  chmod(mode: number): Promise<void>;
  /** Makes a rename or create inside the folder durable. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface FileOwner {
  uid: number;
  gid: number;
}

export interface ResolverHooks {
  /**
   * Test seam: runs after each folder of a walk is opened (the home included) and before the next step uses it,
   * so a test can swap a path for a symlink exactly between check and use.
   */
  afterOpen?(components: readonly string[]): void | Promise<void>;
}

/** 'portable' forces the fallback that platforms without /proc/self/fd get; 'auto' picks the best available. */
export type ResolutionMode = 'auto' | 'portable';

type Backend = 'procfd' | 'portable';

/**
 * Resolves home-relative components to folders and files without ever following a symlink.
 *
 * Policy: no symlink is followed, in any position, even one that points inside the home. The outcome is the same
 * for every operation, and there is no link target to re-check (a target inside the home can be re-pointed
 * outside at any moment). Symlinks are still listed and stat'ed (lstat semantics), moved, deleted (the link, never
 * its target) and copied as links.
 *
 * Linux: every step opens the next name relative to the folder already open ('/proc/self/fd/<fd>/<name>') with
 * O_NOFOLLOW, and O_DIRECTORY for folders, so a symlink anywhere fails at open time (ELOOP or ENOTDIR) and a swap
 * between steps cannot redirect the walk (TOCTOU-safe). A folder moved out of the home while we hold it would be
 * followed, but moving it there takes write access outside the home, which is the escape itself.
 *
 * Elsewhere (no /proc/self/fd: macOS, Windows, a /proc mounted with restrictions): each folder is lstat'ed and its
 * realpath must equal the path we built from the home's realpath; files are opened with O_NOFOLLOW where the
 * platform has it and checked after opening (same device and inode as an lstat of the path, not a symlink). This
 * refuses every symlink that is already in place, but a swap that lands between the check and the use is not
 * prevented there.
 */
export class HomeResolver {
  private backend: Backend | undefined;
  private realRoot: string | undefined;

  constructor(
    readonly root: string,
    private readonly mode: ResolutionMode = 'auto',
    private readonly hooks: ResolverHooks = {},
    /** Who owns what the kernel creates here: the home's owner when it is not the kernel's user (a container agent). */
    private readonly owner?: FileOwner,
  ) {}

  /**
   * Gives a new entry to the home's owner, through the same open folder (lchown: a link is changed, never
   * followed), so that the agent can change what the kernel wrote for it.
   */
  async adopt(dir: DirRef, name: string): Promise<void> {
    if (this.owner) await fsp.lchown(this.childPath(dir, name), this.owner.uid, this.owner.gid);
  }

  childPath(dir: DirRef, name: string): string {
    return this.backend === 'procfd' ? `${dir.path}/${name}` : join(dir.path, name);
  }

  async openRoot(): Promise<DirRef> {
    const dir = this.mode === 'auto' && process.platform === 'linux' ? await this.openRootFd() : undefined;
    return this.afterOpen(dir ?? (await this.openRootPortable()));
  }

  async openChild(parent: DirRef, name: string): Promise<DirRef> {
    const components = [...parent.components, name];
    const dir =
      this.backend === 'procfd'
        ? await this.openChildFd(parent, name, components)
        : await this.openChildPortable(parent, name, components);
    return this.afterOpen(dir);
  }

  private async afterOpen(dir: DirRef): Promise<DirRef> {
    try {
      await this.hooks.afterOpen?.(dir.components);
      return dir;
    } catch (error) {
      await dir.close();
      throw error;
    }
  }

  /** Opens the folder at these components; with create, makes the missing ones (like mkdir -p). */
  async openDir(components: readonly string[], options: { create?: boolean } = {}): Promise<DirRef> {
    let dir = await this.openRoot();
    try {
      for (const name of components) {
        const next = await this.openChild(dir, name).catch(async (error: unknown) => {
          if (!options.create || !isHabitatError(error) || error.code !== 'E_NOT_FOUND') throw error;
          await fsp.mkdir(this.childPath(dir, name), 0o755).then(
            () => this.adopt(dir, name),
            (mkdirError: unknown) => {
              if (errnoOf(mkdirError) !== 'EEXIST') throw mapFsError(mkdirError, [...dir.components, name]);
            },
          );
          return this.openChild(dir, name);
        });
        await dir.close();
        dir = next;
      }
      return dir;
    } catch (error) {
      await dir.close();
      throw error;
    }
  }

  /** Opens a file in an open folder; O_NOFOLLOW is always added, so a symlink is refused. */
  async openFile(dir: DirRef, name: string, flags: number, mode?: number): Promise<FileHandle> {
    const components = [...dir.components, name];
    const path = this.childPath(dir, name);
    let handle: FileHandle;
    try {
      handle = await fsp.open(path, flags | O_NOFOLLOW, mode);
      if (this.owner && flags & constants.O_CREAT) await handle.chown(this.owner.uid, this.owner.gid);
    } catch (error) {
      throw errnoOf(error) === 'ELOOP' ? symlinkRefused(components) : mapFsError(error, components);
    }
    if (this.backend === 'procfd') return handle;
    try {
      const [opened, named] = await Promise.all([handle.stat(), fsp.lstat(path)]);
      if (named.isSymbolicLink() || opened.dev !== named.dev || opened.ino !== named.ino) {
        throw symlinkRefused(components);
      }
      return handle;
    } catch (error) {
      await handle.close();
      throw mapFsError(error, components);
    }
  }

  /** lstat of one name in an open folder: the name itself is never followed. */
  async lstat(dir: DirRef, name: string): Promise<Stats> {
    try {
      return await fsp.lstat(this.childPath(dir, name));
    } catch (error) {
      throw mapFsError(error, [...dir.components, name]);
    }
  }

  async lstatOrNull(dir: DirRef, name: string): Promise<Stats | null> {
    try {
      return await fsp.lstat(this.childPath(dir, name));
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return null;
      throw mapFsError(error, [...dir.components, name]);
    }
  }

  private async openRootFd(): Promise<DirRef | undefined> {
    if (this.backend === 'portable') return undefined;
    const handle = await this.openRootHandle();
    const path = `/proc/self/fd/${handle.fd}`;
    if (this.backend === undefined) {
      // /proc may be missing or mounted so that it hides descriptors: then fall back, once and for good.
      const [opened, viaProc] = await Promise.all([handle.stat(), fsp.stat(path).catch(() => undefined)]);
      if (!viaProc || viaProc.dev !== opened.dev || viaProc.ino !== opened.ino) {
        this.backend = 'portable';
        await handle.close();
        return undefined;
      }
      this.backend = 'procfd';
    }
    return fdDir(handle, path, []);
  }

  private async openRootHandle(): Promise<FileHandle> {
    try {
      return await fsp.open(this.root, DIR_FLAGS);
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === 'ENOENT') throw fsError('E_NOT_FOUND', "the agent's home does not exist");
      if (errno === 'ELOOP' || errno === 'ENOTDIR')
        throw fsError('E_DENIED', "the agent's home is not a folder");
      throw mapFsError(error, []);
    }
  }

  private async openChildFd(parent: DirRef, name: string, components: string[]): Promise<DirRef> {
    const path = `${parent.path}/${name}`;
    try {
      const handle = await fsp.open(path, DIR_FLAGS);
      return fdDir(handle, `/proc/self/fd/${handle.fd}`, components);
    } catch (error) {
      const errno = errnoOf(error);
      // O_NOFOLLOW|O_DIRECTORY on a symlink fails with ENOTDIR on Linux: lstat tells a link from a file.
      if (errno === 'ELOOP') throw symlinkRefused(components);
      if (errno === 'ENOTDIR') {
        // Not a folder at open time. Unless it is some other kind of file now, it was a link (or was swapped).
        const stats = await fsp.lstat(path).catch(() => undefined);
        if (!stats || stats.isSymbolicLink() || stats.isDirectory()) throw symlinkRefused(components);
      }
      throw mapFsError(error, components);
    }
  }

  private async openRootPortable(): Promise<DirRef> {
    this.backend = 'portable';
    if (this.realRoot === undefined) {
      const handle = await this.openRootHandle();
      await handle.close();
      this.realRoot = await fsp.realpath(this.root);
    }
    return pathDir(this.realRoot, []);
  }

  private async openChildPortable(parent: DirRef, name: string, components: string[]): Promise<DirRef> {
    const path = join(parent.path, name);
    let stats: Stats;
    let real: string;
    try {
      stats = await fsp.lstat(path);
      if (stats.isSymbolicLink()) throw symlinkRefused(components);
      if (!stats.isDirectory()) throw fsError('E_CONFLICT', `${display(components)} is not a folder`);
      real = await fsp.realpath(path);
    } catch (error) {
      throw mapFsError(error, components);
    }
    if (real !== path) throw symlinkRefused(components);
    return pathDir(path, components);
  }
}

function fdDir(handle: FileHandle, path: string, components: readonly string[]): DirRef {
  let closed = false;
  return {
    path,
    components,
    stat: () => handle.stat(),
    chmod: (mode) => handle.chmod(mode),
    sync: () => handle.sync().catch(() => undefined),
    close: async () => {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}

function pathDir(path: string, components: readonly string[]): DirRef {
  return {
    path,
    components,
    stat: () => fsp.lstat(path),
    chmod: (mode) => fsp.chmod(path, mode),
    sync: async () => undefined,
    close: async () => undefined,
  };
}
