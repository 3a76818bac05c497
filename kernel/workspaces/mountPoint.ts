import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { HabitatError } from '../../shared/protocol/index.js';

const DIR_FLAGS = constants.O_RDONLY | (constants.O_DIRECTORY ?? 0) | (constants.O_NOFOLLOW ?? 0);

export interface MountPointHooks {
  /** Test seam: runs after each folder is opened (the home first, with no parts) and before it is used. */
  afterOpen?(parts: readonly string[]): void | Promise<void>;
}

/** Whether '/proc/self/fd/<fd>' names the open folder itself here (Linux with a usable /proc). */
let procfd: boolean | undefined;

/**
 * Makes <home>/<parts...> as real folders for a bind mount to land on, owned like the home. A component that is a
 * symlink or a file is refused (E_CONFLICT), never followed: an agent cannot aim the kernel's mkdir elsewhere.
 *
 * Each folder is made and opened relative to the one already open ('/proc/self/fd/<fd>/<name>', the openat and
 * mkdirat Node lacks; O_NOFOLLOW|O_DIRECTORY), so swapping a folder of the path for a link, at any moment, cannot
 * redirect it: the mkdir lands in the folder that was opened, wherever the agent moved it inside its home. Without a
 * usable /proc, each folder's realpath must be the path built from the home's (a link in place is refused; a swap
 * between that check and the mkdir is not prevented there).
 */
export async function mountPoint(
  home: string,
  parts: string[],
  hooks: MountPointHooks = {},
): Promise<string> {
  const refuse = (part: string) =>
    new HabitatError('E_CONFLICT', `~/${parts.join('/')} cannot be a mount point: ${part} is not a folder`);
  let dir = await fsp.open(home, DIR_FLAGS);
  try {
    const owner = await dir.stat();
    if (procfd === undefined) {
      const viaProc = await fsp.stat(`/proc/self/fd/${dir.fd}`).catch(() => undefined);
      procfd = viaProc?.dev === owner.dev && viaProc.ino === owner.ino;
    }
    let path = procfd ? `/proc/self/fd/${dir.fd}` : await fsp.realpath(home);
    await hooks.afterOpen?.([]);
    for (const [index, part] of parts.entries()) {
      const child = `${path}/${part}`;
      let made = false;
      try {
        await fsp.mkdir(child, { mode: 0o755 }); // never through a link: an existing name, link or not, is EEXIST
        made = true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      let next: FileHandle;
      try {
        next = await fsp.open(child, DIR_FLAGS);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ELOOP' || code === 'ENOTDIR') throw refuse(part);
        throw error;
      }
      await dir.close();
      dir = next;
      if (!procfd) {
        const [opened, named] = await Promise.all([dir.stat(), fsp.lstat(child)]);
        if ((await fsp.realpath(child)) !== child || opened.dev !== named.dev || opened.ino !== named.ino)
          throw refuse(part);
      }
      if (made) await dir.chown(owner.uid, owner.gid).catch(() => {}); // the folder opened, never a name
      path = procfd ? `/proc/self/fd/${dir.fd}` : child;
      await hooks.afterOpen?.(parts.slice(0, index + 1));
    }
  } finally {
    await dir.close();
  }
  return join(home, ...parts);
}
