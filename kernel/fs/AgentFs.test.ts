import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHome, HOME_SKELETON, type AgentFs } from './index.js';
import { codeOf, makeTestHome, type TestHome } from './testHome.js';

describe('createHome', () => {
  let t: TestHome;
  beforeEach(async () => (t = await makeTestHome()));
  afterEach(() => t.cleanup());

  it('creates a private home from the skeleton', async () => {
    expect((await fsp.stat(t.home)).mode & 0o777).toBe(0o700);
    for (const dir of HOME_SKELETON) expect((await fsp.lstat(join(t.home, dir))).isDirectory()).toBe(true);
    expect(await fsp.readFile(join(t.home, 'README.md'), 'utf8')).toContain('agent 1');
    const names = (await t.fs.list('.')).entries.map((e) => e.name);
    expect(names).toEqual(['.config', 'Desktop', 'Documents', 'Downloads', 'README.md', 'notes']);
  });

  it('refuses an existing home and a bad pid', async () => {
    expect(await codeOf(createHome(join(t.base, 'homes'), 1))).toBe('E_CONFLICT');
    expect(await codeOf(createHome(join(t.base, 'homes'), 0))).toBe('E_INVALID');
    expect(await codeOf(createHome(join(t.base, 'homes'), 1.5))).toBe('E_INVALID');
    expect(await createHome(join(t.base, 'homes'), 2)).toBe(join(t.base, 'homes', '2'));
  });
});

// The portable resolution (no /proc/self/fd) must behave the same, minus its immunity to swaps.
describe.each(['auto', 'portable'] as const)('AgentFs round trips (%s resolution)', (resolution) => {
  let t: TestHome;
  let fs: AgentFs;
  beforeEach(async () => {
    t = await makeTestHome({ resolution, maxReadBytes: 64 * 1024 });
    fs = t.fs;
  });
  afterEach(() => t.cleanup());

  it('writes and reads text', async () => {
    const entry = await fs.write('Documents/hello.txt', 'héllo wörld');
    expect(entry).toMatchObject({ name: 'hello.txt', path: 'Documents/hello.txt', type: 'file', size: 13 });
    expect(await fs.read('~/Documents/hello.txt')).toEqual({
      path: 'Documents/hello.txt',
      content: 'héllo wörld',
      encoding: 'utf8',
      size: 13,
      offset: 0,
      length: 13,
      truncated: false,
    });
    expect(await fsp.readFile(join(t.home, 'Documents/hello.txt'), 'utf8')).toBe('héllo wörld');
  });

  it('writes and reads bytes, whole and in ranges', async () => {
    const bytes = randomBytes(5000);
    await fs.write('Downloads/blob.bin', bytes.toString('base64'), { encoding: 'base64' });
    expect(
      Buffer.from((await fs.read('Downloads/blob.bin', { encoding: 'base64' })).content, 'base64'),
    ).toEqual(bytes);
    const range = await fs.read('Downloads/blob.bin', { encoding: 'base64', offset: 100, length: 50 });
    expect(Buffer.from(range.content, 'base64')).toEqual(bytes.subarray(100, 150));
    expect(range).toMatchObject({ size: 5000, offset: 100, length: 50, truncated: true });
    const tail = await fs.read('Downloads/blob.bin', { encoding: 'base64', offset: 4990 });
    expect(tail).toMatchObject({ length: 10, truncated: false });
    expect(await fs.read('Downloads/blob.bin', { offset: 9999 })).toMatchObject({ content: '', length: 0 });
    await fs.write('raw.bin', new Uint8Array([0, 1, 2, 255]));
    expect((await fs.read('raw.bin', { encoding: 'base64' })).content).toBe('AAEC/w==');
    await fs.write('t.txt', 'abcdef');
    expect((await fs.read('t.txt', { offset: 2, length: 3 })).content).toBe('cde');
  });

  it('caps a single read and refuses malformed content', async () => {
    await fs.write('big.bin', Buffer.alloc(100 * 1024));
    expect(await codeOf(fs.read('big.bin'))).toBe('E_LIMIT');
    expect(await codeOf(fs.read('big.bin', { length: 64 * 1024 + 1 }))).toBe('E_LIMIT');
    expect((await fs.read('big.bin', { offset: 50 * 1024, length: 1024 })).length).toBe(1024);
    expect(await codeOf(fs.read('big.bin', { offset: -1 }))).toBe('E_INVALID');
    expect(await codeOf(fs.write('x', 'not base64!', { encoding: 'base64' }))).toBe('E_INVALID');
    expect(await codeOf(fs.write('x', 'QQ=', { encoding: 'base64' }))).toBe('E_INVALID');
    expect(await codeOf(fs.write('x', 'lone \uD800 surrogate'))).toBe('E_INVALID');
    expect(await codeOf(fs.read('missing.txt'))).toBe('E_NOT_FOUND');
    expect(await codeOf(fs.read('Documents'))).toBe('E_CONFLICT');
    expect(await codeOf(fs.read('~'))).toBe('E_CONFLICT');
  });

  it('refuses to read a FIFO without blocking', async () => {
    execFileSync('mkfifo', [join(t.home, 'pipe')]);
    expect(await codeOf(fs.read('pipe'))).toBe('E_CONFLICT');
    expect((await fs.stat('pipe')).type).toBe('other');
  });

  it('writes atomically: no temp file is left, the mode of a replaced file is kept', async () => {
    await fs.write('notes/a.md', 'one');
    await fsp.chmod(join(t.home, 'notes/a.md'), 0o600);
    const entry = await fs.write('notes/a.md', 'two');
    expect(entry.mode).toBe(0o600);
    expect(await codeOf(fs.write('notes', 'x'))).toBe('E_CONFLICT');
    expect(await codeOf(fs.write('~', 'x'))).toBe('E_CONFLICT');
    expect(await fsp.readdir(join(t.home, 'notes'))).toEqual(['a.md']);
    expect((await fs.read('notes/a.md')).content).toBe('two');
  });

  it('writes with the mode asked for, appends included; never more than rwx bits', async () => {
    expect((await fs.write('notes/run.sh', 'x', { mode: 0o755 })).mode).toBe(0o755);
    await fsp.chmod(join(t.home, 'notes/run.sh'), 0o600);
    expect((await fs.write('notes/run.sh', 'y', { mode: 0o750 })).mode).toBe(0o750); // the mode asked for wins
    expect((await fs.write('notes/run.sh', 'z')).mode).toBe(0o750); // else the replaced file's is kept
    expect((await fs.write('notes/log', 'a', { append: true })).mode).toBe(0o644);
    expect((await fs.write('notes/log', 'b', { append: true, mode: 0o440 })).mode).toBe(0o440);
    expect((await fs.read('notes/log')).content).toBe('ab');
    expect(await codeOf(fs.write('notes/x', 'x', { mode: 0o4755 }))).toBe('E_INVALID');
    expect(await codeOf(fs.write('notes/x', 'x', { mode: -1 }))).toBe('E_INVALID');
  });

  it('creates parents only when asked', async () => {
    expect(await codeOf(fs.write('a/b/c.txt', 'x'))).toBe('E_NOT_FOUND');
    expect(await fsp.readdir(t.home)).not.toContain('a');
    await fs.write('a/b/c.txt', 'x', { createParents: true });
    expect((await fs.stat('a/b')).type).toBe('dir');
    expect(await codeOf(fs.write('a/b/c.txt/d', 'x', { createParents: true }))).toBe('E_CONFLICT');
  });

  it('lists and stats', async () => {
    await fs.write('Documents/b.txt', 'bb');
    await fs.write('Documents/a.txt', 'a');
    await fs.mkdir('Documents/sub');
    await fsp.symlink('a.txt', join(t.home, 'Documents/link'));
    const listing = await fs.list('Documents');
    expect(listing.path).toBe('Documents');
    expect(listing.truncated).toBe(false);
    expect(listing.entries.map((e) => [e.name, e.type, e.path])).toEqual([
      ['a.txt', 'file', 'Documents/a.txt'],
      ['b.txt', 'file', 'Documents/b.txt'],
      ['link', 'symlink', 'Documents/link'],
      ['sub', 'dir', 'Documents/sub'],
    ]);
    expect(await fs.list('Documents', { limit: 2 })).toMatchObject({ truncated: true });
    expect((await fs.list('Documents', { limit: 2 })).entries).toHaveLength(2);
    const stat = await fs.stat('Documents/b.txt');
    expect(stat).toMatchObject({ name: 'b.txt', type: 'file', size: 2 });
    expect(Date.parse(stat.mtime)).toBeGreaterThan(Date.now() - 60_000);
    expect(await fs.stat('.')).toMatchObject({ name: '~', path: '.', type: 'dir', mode: 0o700 });
    expect(await fs.stat('Documents/sub/..')).toMatchObject({ path: 'Documents', type: 'dir' });
    expect(await codeOf(fs.list('Documents/a.txt'))).toBe('E_CONFLICT');
    expect(await codeOf(fs.list('nope'))).toBe('E_NOT_FOUND');
    expect(await codeOf(fs.list('.', { limit: 0 }))).toBe('E_INVALID');
  });

  it('makes folders', async () => {
    expect(await fs.mkdir('projects')).toMatchObject({ path: 'projects', type: 'dir' });
    expect(await codeOf(fs.mkdir('projects'))).toBe('E_CONFLICT');
    expect(await codeOf(fs.mkdir('x/y'))).toBe('E_NOT_FOUND');
    await fs.mkdir('x/y/z', { recursive: true });
    await fs.mkdir('x/y/z', { recursive: true });
    expect((await fs.stat('x/y/z')).type).toBe('dir');
    await fs.write('file', '1');
    expect(await codeOf(fs.mkdir('file', { recursive: true }))).toBe('E_CONFLICT');
    expect(await codeOf(fs.mkdir('~'))).toBe('E_CONFLICT');
  });

  it('moves files and folders', async () => {
    await fs.write('a.txt', 'A');
    expect(await fs.move('a.txt', 'Documents/b.txt')).toMatchObject({
      path: 'Documents/b.txt',
      type: 'file',
    });
    expect(await codeOf(fs.stat('a.txt'))).toBe('E_NOT_FOUND');
    await fs.write('c.txt', 'C');
    expect(await codeOf(fs.move('c.txt', 'Documents/b.txt'))).toBe('E_CONFLICT');
    await fs.move('c.txt', 'Documents/b.txt', { overwrite: true });
    expect((await fs.read('Documents/b.txt')).content).toBe('C');
    await fs.move('Documents', 'Docs');
    expect((await fs.read('Docs/b.txt')).content).toBe('C');
    expect(await codeOf(fs.move('Docs', 'Docs/inner'))).toBe('E_INVALID');
    expect(await codeOf(fs.move('Docs', 'Desktop', { overwrite: true }))).toBe('E_CONFLICT');
    expect(await codeOf(fs.move('nope', 'x'))).toBe('E_NOT_FOUND');
    expect(await codeOf(fs.move('.', 'x'))).toBe('E_DENIED');
    expect(await fs.move('Docs/b.txt', 'Docs/./b.txt')).toMatchObject({ path: 'Docs/b.txt' });
  });

  it('copies files, folders and links', async () => {
    await fs.write('src/a.txt', 'A', { createParents: true });
    await fs.write('src/deep/b.bin', Buffer.from([1, 2, 3]), { createParents: true });
    await fsp.symlink('a.txt', join(t.home, 'src/link'));
    await fsp.chmod(join(t.home, 'src/a.txt'), 0o640);
    expect(await fs.copy('src', 'dst')).toMatchObject({ path: 'dst', type: 'dir' });
    expect((await fs.read('dst/a.txt')).content).toBe('A');
    expect((await fs.stat('dst/a.txt')).mode).toBe(0o640);
    expect((await fs.read('dst/deep/b.bin', { encoding: 'base64' })).content).toBe('AQID');
    expect(await fsp.readlink(join(t.home, 'dst/link'))).toBe('a.txt');
    expect(await fs.copy('src/a.txt', 'a-copy.txt')).toMatchObject({ type: 'file', size: 1 });
    expect(await codeOf(fs.copy('src/a.txt', 'a-copy.txt'))).toBe('E_CONFLICT');
    await fs.write('other.txt', 'other');
    await fs.copy('other.txt', 'a-copy.txt', { overwrite: true });
    expect((await fs.read('a-copy.txt')).content).toBe('other');
    expect(await codeOf(fs.copy('src', 'dst'))).toBe('E_CONFLICT');
    expect(await codeOf(fs.copy('src', 'src/inside'))).toBe('E_INVALID');
    expect(await codeOf(fs.copy('.', 'backup'))).toBe('E_INVALID');
    expect(await codeOf(fs.copy('nope', 'x'))).toBe('E_NOT_FOUND');
    expect((await fsp.readdir(t.home)).filter((n) => n.startsWith('.habitat-tmp-'))).toEqual([]);
  });

  it('deletes files, links and folders', async () => {
    await fs.write('d/e/f.txt', 'f', { createParents: true });
    await fs.write('target.txt', 'stays');
    await fsp.symlink('target.txt', join(t.home, 'link'));
    expect(await codeOf(fs.delete('d'))).toBe('E_CONFLICT');
    expect(await fs.delete('d', { recursive: true })).toEqual({ path: 'd' });
    expect(await codeOf(fs.stat('d'))).toBe('E_NOT_FOUND');
    await fs.delete('link');
    expect((await fs.read('target.txt')).content).toBe('stays');
    await fs.delete('Desktop');
    await fs.delete('target.txt');
    expect(await codeOf(fs.delete('target.txt'))).toBe('E_NOT_FOUND');
    expect(await codeOf(fs.delete('.', { recursive: true }))).toBe('E_DENIED');
    expect(await codeOf(fs.delete('~'))).toBe('E_DENIED');
  });

  it('counts usage, each inode once', async () => {
    const before = await fs.usage();
    await fs.write('one.bin', Buffer.alloc(1000));
    await fs.write('Documents/two.bin', Buffer.alloc(500));
    await fsp.link(join(t.home, 'one.bin'), join(t.home, 'hard.bin'));
    expect((await fs.usage()) - before).toBe(1500);
  });
});
