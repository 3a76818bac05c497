import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';

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
 */
export async function writeXauthority(path: string): Promise<void> {
  const entry = Buffer.concat([
    u16(FAMILY_WILD),
    field(Buffer.alloc(0)),
    field(Buffer.alloc(0)),
    field(Buffer.from('MIT-MAGIC-COOKIE-1')),
    field(randomBytes(16)),
  ]);
  await writeFile(path, entry, { mode: 0o600 });
}
