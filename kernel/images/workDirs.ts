import { promises as fsp } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { removeTree } from './rootfs.js';

const PREFIX = 'habitat-image-';
/** Names the process that works in a folder, so another one knows whether it is a leftover. */
const OWNER = 'owner.pid';
/** A folder whose owner cannot be told (made before it said) is a leftover once this old. */
const ORPHAN_AGE_MS = 60 * 60_000;

/**
 * A build's temporary folder (the debootstrap rootfs, a few hundred MB), in `parent`. Folders of builds that did
 * not clean up (the host was killed mid-build) are removed first: those whose owner process is gone.
 */
export async function makeWorkDir(parent: string): Promise<string> {
  await sweepWorkDirs(parent);
  const dir = await mkdtemp(join(parent, PREFIX));
  await fsp.writeFile(join(dir, OWNER), `${process.pid}\n`, { mode: 0o600 });
  return dir;
}

/** Removes the build folders in `parent` that no live process owns; returns their names. */
export async function sweepWorkDirs(parent: string, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await fsp.readdir(parent).catch(() => [] as string[])) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(parent, name);
    const stats = await fsp.lstat(dir).catch(() => undefined);
    if (!stats?.isDirectory()) continue;
    const owner = Number.parseInt(await fsp.readFile(join(dir, OWNER), 'utf8').catch(() => ''), 10);
    const orphan =
      Number.isSafeInteger(owner) && owner > 0 ? !isAlive(owner) : now - stats.mtimeMs > ORPHAN_AGE_MS;
    if (!orphan) continue;
    await removeTree(dir).catch(() => undefined); // another sweeper, or a tree we may not remove: left as it is
    removed.push(name);
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}
