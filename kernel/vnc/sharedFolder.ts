import { constants } from 'node:fs';
import {
  chmod,
  lstat,
  mkdtemp,
  open,
  readdir,
  rename,
  rmdir,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';

// What the kernel does in a display folder: a folder bound read-write into an agent's container. Whatever is in it
// the agent can swap, at any moment, for a symlink to anywhere on the host (the kernel resolves it, as root, in the
// host's view), a hard link, a folder or a socket of its own. The folder itself is safe to name: it is an entry of a
// folder only the kernel can write, and a bind mount's source cannot be renamed from inside the container. So every
// operation here names either that folder or one entry in it, and only with calls that never follow a symlink in
// the last place (unlink, rename, rmdir, lstat, open with O_NOFOLLOW or O_EXCL); nothing is changed by path
// (chmod, chown) that an agent could have replaced.

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_DIRECTORY = constants.O_DIRECTORY ?? 0;
const DIR_FLAGS = constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW;
/** O_EXCL with O_CREAT never opens anything already there, a symlink (even a dangling one) included. */
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | O_NOFOLLOW;

/** The folders removeShared works in, beside what it removes; a kernel's boot sweeps leftovers of a crash. */
export const REMOVING_PREFIX = '.removing-';

export interface FolderOwner {
  uid: number;
  gid: number;
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Makes `dir` (created by the kernel, in a folder of the kernel's) 0700 and, where given, the owner's: through a
 * descriptor opened without following a link, so a folder that is not one is refused rather than followed.
 */
export async function lockFolder(dir: string, owner?: FolderOwner): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(dir, DIR_FLAGS);
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'ELOOP' || code === 'ENOTDIR') {
      throw new Error(`refused ${dir}: not a folder (a symbolic link?)`, { cause: error });
    }
    throw error;
  }
  try {
    if (!(await handle.stat()).isDirectory()) throw new Error(`refused ${dir}: not a folder`);
    await handle.chmod(0o700);
    if (owner) await handle.chown(owner.uid, owner.gid);
  } finally {
    await handle.close();
  }
}

/**
 * Unlinks whatever non-folder is at `path` (a link itself, never its target). True when nothing is there any more;
 * false for a folder, which unlink cannot remove.
 */
export async function unlinkEntry(path: string | Buffer): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'ENOENT') return true;
    // a folder: EISDIR on Linux, EPERM on macOS
    if ((code === 'EISDIR' || code === 'EPERM') && (await lstat(path)).isDirectory()) return false;
    throw error;
  }
}

/**
 * A new, empty file at `path`, opened for writing: whatever was there goes first (unlinked, so a link planted there
 * leads nowhere), and O_EXCL makes sure the file opened is the one just created. Change its owner and mode through
 * the handle, never by path.
 */
export async function createFresh(path: string, mode = 0o600): Promise<FileHandle> {
  for (let attempt = 1; ; attempt++) {
    if (!(await unlinkEntry(path))) throw new Error(`refused ${path}: a folder is in its place`);
    try {
      return await open(path, CREATE_FLAGS, mode);
    } catch (error) {
      // something was put there between the unlink and the open: again, a few times
      if (errnoOf(error) !== 'EEXIST' || attempt >= 5) throw error;
    }
  }
}

export interface RemoveSharedOptions {
  /** Entries moved or unlinked at most: someone who keeps filling the folder cannot hold the kernel forever. */
  maxSteps?: number;
  /** Test seam: runs after a folder's listing and before its entries are moved, so a test can swap one there. */
  afterList?(folder: string, names: readonly Buffer[]): void | Promise<void>;
}

/**
 * Removes `path` and, if it is a folder, all it holds, while someone else may write into it at the same time (a
 * live agent). `path` must be an entry of a folder that only the kernel can write, on the same file system.
 *
 * fs.rm's walk re-resolves every folder on its way down: a folder swapped for a symlink between its lstat and its
 * listing would take it, as root, into any folder on the host. Here no path the kernel uses passes through a name
 * the agent can change: the folder is first moved into a new folder of the kernel's (`.removing-*`, beside it); then,
 * round after round, each folder there has its entries moved up beside it (rename moves a symlink itself, never its
 * target), anything that is not a folder is unlinked, and emptied folders are removed. Every path used is one name
 * in the kernel's folder, or one name below such a folder.
 *
 * Where the kernel is not root, a folder the agent made without write permission for its owner cannot be moved (its
 * '..' must change), nor opened to fix that if it has no read permission either: the removal then fails, and what
 * is left stays in the `.removing-*` folder for a later sweep.
 */
export async function removeShared(path: string, options: RemoveSharedOptions = {}): Promise<void> {
  if (await unlinkEntry(path)) return;
  const grave = await mkdtemp(join(dirname(path), REMOVING_PREFIX));
  try {
    await rename(path, join(grave, '0'));
  } catch (error) {
    await rmdir(grave).catch(() => undefined);
    if (errnoOf(error) === 'ENOENT') return;
    throw error;
  }
  const maxSteps = options.maxSteps ?? 100_000;
  let steps = 0;
  let next = 1;
  const step = (): void => {
    if (++steps > maxSteps)
      throw new Error(`${path}: still not empty after ${maxSteps} removals (left in ${grave})`);
  };
  for (;;) {
    const names = await readdir(grave);
    if (names.length === 0) break;
    for (const name of names) {
      const entry = join(grave, name);
      step();
      if (await unlinkEntry(entry)) continue;
      // A folder, under a name only the kernel can change: so it is this folder that is listed and emptied.
      await chmod(entry, 0o700); // rwx for us, where the kernel is not root; a folder cannot be a link
      const children = await readdir(entry, { encoding: 'buffer' }); // names as bytes: any name round-trips
      await options.afterList?.(entry, children);
      for (const child of children) {
        step();
        await moveOut(Buffer.concat([Buffer.from(`${entry}/`), child]), join(grave, String(next++)));
      }
      try {
        await rmdir(entry);
      } catch (error) {
        const code = errnoOf(error);
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error; // filled again meanwhile: the next round
      }
    }
  }
  await rmdir(grave);
}

/** Moves one entry of a folder being emptied up into the kernel's folder. */
async function moveOut(from: Buffer, to: string): Promise<void> {
  try {
    await rename(from, to);
    return;
  } catch (error) {
    const code = errnoOf(error);
    if (code === 'ENOENT') return; // gone meanwhile
    if (code !== 'EACCES' && code !== 'EPERM') throw error;
    // A folder without write permission (a kernel that is not root): its '..' must change. It is opened without
    // following a link, so only a folder that is really there gets rwx for its owner, and then moved.
    const handle = await open(from, DIR_FLAGS).catch(() => undefined);
    if (!handle) throw error;
    try {
      await handle.chmod(0o700);
    } finally {
      await handle.close();
    }
    await rename(from, to);
  }
}

/** What lstat says is at a path, in words, for an error message. */
export function describeEntry(stats: {
  isSymbolicLink(): boolean;
  isFile(): boolean;
  isDirectory(): boolean;
  isSocket(): boolean;
  isFIFO(): boolean;
}): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isFile()) return 'a regular file';
  if (stats.isDirectory()) return 'a folder';
  if (stats.isSocket()) return 'a socket';
  if (stats.isFIFO()) return 'a FIFO';
  return 'a device';
}
