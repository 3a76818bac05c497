import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { HabitatError, isHabitatError } from '../../shared/protocol/index.js';
import { HomeResolver, type ResolverHooks } from '../fs/index.js';

export type MountPointHooks = ResolverHooks;

/**
 * Makes <home>/<parts...> as real folders for a bind mount to land on, owned like the home. A component that is a
 * symlink or a file is refused (E_CONFLICT), never followed: an agent cannot aim the kernel's mkdir elsewhere. The
 * home's resolver makes and opens each folder relative to the one already open, so a swap at any moment cannot
 * redirect it (see HomeResolver).
 */
export async function mountPoint(
  home: string,
  parts: string[],
  hooks: MountPointHooks = {},
): Promise<string> {
  const { uid, gid } = await fsp.stat(home);
  const resolver = new HomeResolver(home, 'auto', hooks, { uid, gid });
  try {
    await (await resolver.openDir(parts, { create: true })).close();
  } catch (error) {
    if (isHabitatError(error) && (error.code === 'E_DENIED' || error.code === 'E_CONFLICT')) {
      throw new HabitatError('E_CONFLICT', `~/${parts.join('/')} cannot be a mount point: ${error.message}`);
    }
    throw error;
  }
  return join(home, ...parts);
}
