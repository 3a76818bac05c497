import { constants, promises as fsp, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { display, errnoOf, fsError, mapFsError } from './errors.js';
import type { DirRef, HomeResolver } from './resolver.js';

const COPY_CHUNK = 1024 * 1024;
/** Opening for reading must never block (a FIFO) nor adopt a terminal. */
export const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);
export const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;

/** Names in a folder. Reads through the open folder, so the listing is of the folder we resolved. */
export async function readNames(dir: DirRef, max = Infinity): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of await fsp.opendir(dir.path)) {
      names.push(entry.name);
      if (names.length >= max) break;
    }
  } catch (error) {
    throw mapFsError(error, dir.components);
  }
  return names;
}

/** Bytes of regular files under a folder, each inode counted once (hard links). Symlinks are not followed. */
export async function treeSize(
  resolver: HomeResolver,
  dir: DirRef,
  seen = new Set<string>(),
): Promise<number> {
  let total = 0;
  for (const name of await readNames(dir)) {
    const stats = await resolver.lstatOrNull(dir, name);
    if (!stats) continue;
    if (stats.isFile()) total += countOnce(stats, seen);
    else if (stats.isDirectory()) {
      const child = await resolver.openChild(dir, name).catch(() => undefined);
      if (!child) continue; // vanished or swapped for a link since the lstat: nothing to count
      try {
        total += await treeSize(resolver, child, seen);
      } finally {
        await child.close();
      }
    }
  }
  return total;
}

function countOnce(stats: Stats, seen: Set<string>): number {
  const key = `${stats.dev}:${stats.ino}`;
  if (seen.has(key)) return 0;
  seen.add(key);
  return stats.size;
}

/**
 * Empties a folder. unlink() comes first because it never follows a link: a name that turns out to be a folder
 * (EISDIR on Linux, EPERM on macOS) is then opened without following and emptied in turn.
 */
export async function removeTree(resolver: HomeResolver, dir: DirRef): Promise<void> {
  for (const name of await readNames(dir)) {
    const path = resolver.childPath(dir, name);
    try {
      await fsp.unlink(path);
      continue;
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === 'ENOENT') continue;
      if (errno !== 'EISDIR' && errno !== 'EPERM') throw mapFsError(error, [...dir.components, name]);
    }
    const child = await resolver.openChild(dir, name);
    try {
      await removeTree(resolver, child);
    } finally {
      await child.close();
    }
    await fsp.rmdir(path).catch((error: unknown) => {
      throw mapFsError(error, [...dir.components, name]);
    });
  }
}

/** How many more bytes a copy may write before it would take the home over its quota. */
export interface ByteBudget {
  remaining: number;
}

function spend(budget: ByteBudget, bytes: number): void {
  budget.remaining -= bytes;
  if (budget.remaining < 0) throw fsError('E_LIMIT', "the copy would take the agent's home over its quota");
}

/** Copies an open regular file's bytes into a new file created (O_EXCL, no symlink followed) in a folder. */
export async function copyFileInto(
  resolver: HomeResolver,
  source: FileHandle,
  target: DirRef,
  name: string,
  mode: number,
  budget: ByteBudget,
): Promise<void> {
  const out = await resolver.openFile(target, name, CREATE_FLAGS, mode);
  try {
    const buffer = Buffer.allocUnsafe(COPY_CHUNK);
    let position = 0;
    for (;;) {
      const { bytesRead } = await source.read(buffer, 0, COPY_CHUNK, position);
      if (bytesRead === 0) break;
      spend(budget, bytesRead);
      await out.write(buffer, 0, bytesRead, position);
      position += bytesRead;
    }
    await out.chmod(mode);
    await out.sync();
  } finally {
    await out.close();
  }
}

/** Opens a regular file for reading, refusing folders, devices, FIFOs and sockets. */
export async function openRegularFile(
  resolver: HomeResolver,
  dir: DirRef,
  name: string,
): Promise<{ handle: FileHandle; stats: Stats }> {
  const handle = await resolver.openFile(dir, name, READ_FLAGS);
  try {
    const stats = await handle.stat();
    const where = display([...dir.components, name]);
    if (stats.isDirectory()) throw fsError('E_CONFLICT', `${where} is a folder`);
    if (!stats.isFile()) throw fsError('E_CONFLICT', `${where} is not a regular file`);
    return { handle, stats };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Recreates a symlink as a link, with the same target text: copying never reads through it. */
export async function copySymlink(
  resolver: HomeResolver,
  from: DirRef,
  fromName: string,
  to: DirRef,
  toName: string,
) {
  const target = await fsp.readlink(resolver.childPath(from, fromName)).catch((error: unknown) => {
    throw mapFsError(error, [...from.components, fromName]);
  });
  await fsp.symlink(target, resolver.childPath(to, toName)).catch((error: unknown) => {
    throw mapFsError(error, [...to.components, toName]);
  });
  await resolver.adopt(to, toName);
}

/** Copies the contents of one open folder into another (freshly made, empty) one. Sockets and FIFOs are skipped. */
export async function copyTree(
  resolver: HomeResolver,
  from: DirRef,
  to: DirRef,
  budget: ByteBudget,
): Promise<void> {
  for (const name of await readNames(from)) {
    const stats = await resolver.lstatOrNull(from, name);
    if (!stats) continue;
    if (stats.isSymbolicLink()) {
      await copySymlink(resolver, from, name, to, name);
    } else if (stats.isFile()) {
      const { handle, stats: opened } = await openRegularFile(resolver, from, name);
      try {
        await copyFileInto(resolver, handle, to, name, opened.mode & 0o7777, budget);
      } finally {
        await handle.close();
      }
    } else if (stats.isDirectory()) {
      await fsp.mkdir(resolver.childPath(to, name), 0o700).catch((error: unknown) => {
        throw mapFsError(error, [...to.components, name]);
      });
      await resolver.adopt(to, name);
      const source = await resolver.openChild(from, name);
      try {
        const target = await resolver.openChild(to, name);
        try {
          await copyTree(resolver, source, target, budget);
          // Through the open folder, not the path: a swapped-in link must not redirect the chmod.
          await target.chmod(stats.mode & 0o7777);
        } finally {
          await target.close();
        }
      } finally {
        await source.close();
      }
    }
  }
}
