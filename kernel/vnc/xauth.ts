import { randomBytes } from 'node:crypto';
import { createFresh, type FolderOwner } from './sharedFolder.js';

const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const field = (data: Buffer): Buffer => Buffer.concat([u16(data.length), data]);

/** FamilyWild with an empty address and display number: the entry matches whatever number Xvfb ends up with. */
const FAMILY_WILD = 0xffff;

/**
 * Writes an X authority file with one fresh MIT-MAGIC-COOKIE-1 (the format libXau reads), so no `xauth` program is
 * needed where the display runs. The same file serves Xvfb (-auth), x11vnc and every program on the display.
 *
 * The folder may be one the display's programs can write (a container's): whatever is at `path` is replaced, never
 * written through (a symlink or hard link planted there leads nowhere), and the owner and mode are set on the new
 * file's descriptor. The folder holding `path` must itself be the kernel's to name (see sharedFolder.ts).
 */
export async function writeXauthority(path: string, owner?: FolderOwner): Promise<void> {
  const entry = Buffer.concat([
    u16(FAMILY_WILD),
    field(Buffer.alloc(0)),
    field(Buffer.alloc(0)),
    field(Buffer.from('MIT-MAGIC-COOKIE-1')),
    field(randomBytes(16)),
  ]);
  const handle = await createFresh(path, 0o600);
  try {
    if (owner) await handle.chown(owner.uid, owner.gid);
    await handle.chmod(0o600);
    await handle.writeFile(entry);
  } finally {
    await handle.close();
  }
}
