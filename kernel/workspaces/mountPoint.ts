import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { HabitatError } from '../../shared/protocol/index.js';

/**
 * Makes <home>/<parts...> as real folders for a bind mount to land on, owned like the home. A component that is a
 * symlink or a file is refused (E_CONFLICT), never followed: an agent cannot aim the kernel's mkdir elsewhere.
 */
export async function mountPoint(home: string, parts: string[]): Promise<string> {
  const owner = await fsp.stat(home);
  let path = home;
  for (const part of parts) {
    path = join(path, part);
    const stat = await fsp.lstat(path).catch(() => undefined);
    if (stat && (stat.isSymbolicLink() || !stat.isDirectory())) {
      throw new HabitatError(
        'E_CONFLICT',
        `~/${parts.join('/')} cannot be a mount point: ${part} is not a folder`,
      );
    }
    if (stat) continue;
    await fsp.mkdir(path, { mode: 0o755 });
    await fsp.lchown(path, owner.uid, owner.gid).catch(() => {});
  }
  return path;
}
