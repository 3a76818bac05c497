import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { HabitatError } from '../../shared/protocol/index.js';

/** The image's `agent` user: what a container runs as when the kernel runs as root. */
export const AGENT_USER = { uid: 1000, gid: 1000 } as const;

/**
 * Decides who the container runs as, so that the agent can use its bind-mounted home and the kernel can still
 * read what the agent writes. Never root:
 * - the home belongs to a non-root user (a desktop kernel runs as its user): run as that uid:gid, no chown needed,
 *   and the user owns whatever the agent writes;
 * - the home belongs to root (a kernel running as root, a server): chown the tree to the agent user 1000:1000,
 *   which root may do, and run as that. Symlinks are changed themselves, never followed.
 */
export async function prepareHomeOwner(home: string): Promise<{ uid: number; gid: number }> {
  let stat;
  try {
    stat = await fsp.stat(home);
  } catch {
    throw new HabitatError('E_NOT_FOUND', `the agent home does not exist: ${home}`);
  }
  if (!stat.isDirectory()) throw new HabitatError('E_INVALID', `the agent home is not a folder: ${home}`);
  if (stat.uid !== 0) return { uid: stat.uid, gid: stat.gid };
  if (process.getuid?.() !== 0) {
    throw new HabitatError(
      'E_DENIED',
      `the agent home ${home} belongs to root; the kernel cannot hand it over`,
    );
  }
  await chownTree(home, AGENT_USER.uid, AGENT_USER.gid);
  return { ...AGENT_USER };
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await fsp.lchown(path, uid, gid);
  const entries = await fsp.readdir(path, { withFileTypes: true });
  for (const entry of entries) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, uid, gid);
    else await fsp.lchown(child, uid, gid);
  }
}
