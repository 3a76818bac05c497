// Helpers for snapshot tests and the bench: mixed homes, their digests, and hand-made tar archives.
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';

export interface Digest {
  type: 'file' | 'dir' | 'symlink';
  mode?: number;
  sha256?: string;
  target?: string;
}

/** Every entry under root (lstat, never following), home-relative, with each file's sha256. */
export async function digestTree(
  root: string,
  skip: (path: string) => boolean = () => false,
): Promise<Map<string, Digest>> {
  const found = new Map<string, Digest>();
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await fsp.readdir(join(root, rel))).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      if (skip(path)) continue;
      const stat = await fsp.lstat(join(root, path));
      if (stat.isDirectory()) {
        found.set(path, { type: 'dir', mode: stat.mode & 0o7777 });
        await walk(path);
      } else if (stat.isFile()) {
        const sha256 = createHash('sha256')
          .update(await fsp.readFile(join(root, path)))
          .digest('hex');
        found.set(path, { type: 'file', mode: stat.mode & 0o7777, sha256 });
      } else if (stat.isSymbolicLink()) {
        found.set(path, { type: 'symlink', target: await fsp.readlink(join(root, path)) });
      }
    }
  };
  await walk('');
  return found;
}

/**
 * A home with what snapshots must get right: nested folders, text and binary files, an empty file, one over the
 * streaming threshold, an executable, a read-only folder, symlinks inside (kept) and out (left out), a FIFO.
 */
export async function populateMixedHome(home: string): Promise<void> {
  await fsp.mkdir(join(home, 'Documents/deep/er/est'), { recursive: true });
  await fsp.writeFile(join(home, 'Documents/notes.txt'), 'hello snapshots\n'.repeat(100));
  await fsp.writeFile(join(home, 'Documents/deep/er/est/blob.bin'), randomBytes(200_000));
  await fsp.writeFile(join(home, 'Documents/empty'), '');
  await fsp.writeFile(join(home, 'Downloads/big.bin'), randomBytes(9 * 1024 * 1024));
  await fsp.writeFile(join(home, 'Desktop/run.sh'), '#!/bin/sh\necho ran\n', { mode: 0o755 });
  await fsp.chmod(join(home, 'Desktop/run.sh'), 0o755);
  await fsp.writeFile(join(home, 'Desktop/private.txt'), 'mine', { mode: 0o600 });
  await fsp.chmod(join(home, 'Desktop/private.txt'), 0o600);
  await fsp.mkdir(join(home, 'frozen'));
  await fsp.writeFile(join(home, 'frozen/inside.txt'), 'cannot add here');
  await fsp.chmod(join(home, 'frozen'), 0o555);
  await fsp.writeFile(join(home, 'unicode-é ✓.txt'), 'ünïcödé');
  await fsp.symlink('Documents/notes.txt', join(home, 'link-to-notes'));
  await fsp.symlink('/home/agent/Documents', join(home, 'link-absolute-inside'));
  await fsp.symlink('../../../etc/passwd', join(home, 'link-out'));
  await fsp.symlink('/etc/shadow', join(home, 'link-abs-out'));
  execFileSync('mkfifo', [join(home, 'pipe')]);
}

/** One ustar entry (header and padded data): lets a test write archives no tar tool would. */
export function tarEntry(
  name: string,
  options: {
    type?: '0' | '2' | '1' | '3' | '5';
    data?: Buffer | string;
    linkname?: string;
    mode?: number;
  } = {},
): Buffer {
  const data = Buffer.from(options.data ?? '');
  const header = Buffer.alloc(512);
  const field = (value: string, offset: number, length: number) =>
    header.write(value, offset, length, 'utf8');
  const octal = (value: number, offset: number, length: number) =>
    field(value.toString(8).padStart(length - 1, '0') + '\0', offset, length);
  field(name, 0, 100);
  octal(options.mode ?? 0o644, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(options.type === '0' || options.type === undefined ? data.length : 0, 124, 12);
  octal(Math.floor(Date.now() / 1000), 136, 12);
  field('        ', 148, 8);
  field(options.type ?? '0', 156, 1);
  field(options.linkname ?? '', 157, 100);
  field('ustar\0', 257, 6);
  field('00', 263, 2);
  let sum = 0;
  for (const byte of header) sum += byte;
  field(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, padding]);
}

/** A whole archive of entries, with the two zero blocks that end it. */
export function tarArchive(entries: Buffer[]): Buffer {
  return Buffer.concat([...entries, Buffer.alloc(1024)]);
}
