import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { mapFsError } from './errors.js';
import type { DirRef, HomeResolver } from './resolver.js';
import { CREATE_FLAGS } from './tree.js';

/** Temp files and folders of in-flight writes and copies; watchers ignore them. */
export const TEMP_PREFIX = '.habitat-tmp-';

export function tempName(): string {
  return `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`;
}

/**
 * Replaces `name` in an open folder: a temp file in the same folder (O_EXCL, so nothing pre-planted is reused),
 * fsync, rename over the name, fsync of the folder. Readers see the old or the new content, never a mix; a failure
 * leaves the old file and no temp file. The rename replaces whatever the name is at that instant, a link included,
 * and never writes through it.
 */
export async function writeAtomic(
  resolver: HomeResolver,
  dir: DirRef,
  name: string,
  data: Uint8Array,
  mode?: number,
): Promise<void> {
  const temp = tempName();
  const tempPath = resolver.childPath(dir, temp);
  const handle = await resolver.openFile(dir, temp, CREATE_FLAGS, mode ?? 0o644);
  try {
    try {
      await handle.writeFile(data);
      if (mode !== undefined) await handle.chmod(mode); // the umask may have narrowed an existing file's mode
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tempPath, resolver.childPath(dir, name));
  } catch (error) {
    await fsp.unlink(tempPath).catch(() => undefined);
    throw mapFsError(error, [...dir.components, name]);
  }
  await dir.sync();
}
