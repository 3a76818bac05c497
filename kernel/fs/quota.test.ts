import { promises as fsp } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeOf, makeTestHome, type TestHome } from './testHome.js';

/** Every path under the home with its size: the whole observable state a refused operation must not change. */
async function snapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fsp.readdir(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const stats = await fsp.lstat(path);
    out.push(`${relative(root, path)} ${stats.isDirectory() ? 'dir' : stats.size}`);
  }
  return out.sort();
}

describe('AgentFs quota', () => {
  let t: TestHome;
  beforeEach(async () => {
    t = await makeTestHome({ quotaBytes: 10_000 });
  });
  afterEach(() => t.cleanup());

  it('refuses a write that would go over quota and changes nothing', async () => {
    const base = await t.fs.usage();
    await t.fs.write('a.bin', Buffer.alloc(6000));
    const before = await snapshot(t.home);
    expect(await codeOf(t.fs.write('b.bin', Buffer.alloc(10_000 - base - 6000 + 1)))).toBe('E_LIMIT');
    expect(await codeOf(t.fs.write('new/dir/b.bin', Buffer.alloc(5000), { createParents: true }))).toBe(
      'E_LIMIT',
    );
    expect(await snapshot(t.home)).toEqual(before);
    // Replacing a file frees its bytes first; exactly filling the quota is allowed.
    await t.fs.write('a.bin', Buffer.alloc(10_000 - base));
    expect(await t.fs.usage()).toBe(10_000);
    expect(await codeOf(t.fs.write('one-more', 'x'))).toBe('E_LIMIT');
  });

  it('refuses a copy of a file or a folder that would go over quota and changes nothing', async () => {
    const base = await t.fs.usage();
    await t.fs.write('src/a.bin', Buffer.alloc(3000), { createParents: true });
    await t.fs.write('src/deep/b.bin', Buffer.alloc(2000), { createParents: true });
    const before = await snapshot(t.home);
    expect(await codeOf(t.fs.copy('src', 'copy'))).toBe('E_LIMIT');
    expect(await snapshot(t.home)).toEqual(before);
    await t.fs.copy('src/a.bin', 'a-copy.bin'); // 3000 more fits: 5000 + 3000 + base < 10000
    expect(await t.fs.usage()).toBe(base + 8000);
    const after = await snapshot(t.home);
    expect(await codeOf(t.fs.copy('src/deep/b.bin', 'b-copy.bin'))).toBe('E_LIMIT');
    expect(await snapshot(t.home)).toEqual(after);
    // Overwriting counts the bytes it frees.
    await t.fs.copy('src/deep/b.bin', 'a-copy.bin', { overwrite: true });
    expect(await t.fs.usage()).toBe(base + 7000);
  });

  it('caps a single write', async () => {
    const small = await makeTestHome({ maxWriteBytes: 1000 });
    try {
      expect(await codeOf(small.fs.write('big', Buffer.alloc(1001)))).toBe('E_LIMIT');
      expect((await small.fs.write('ok', Buffer.alloc(1000))).size).toBe(1000);
    } finally {
      await small.cleanup();
    }
  });
});

describe('AgentFs quota during a copy', () => {
  it('stops a copy whose source grows past the quota mid-way, and leaves nothing behind', async () => {
    let opened = 0;
    let grow: (() => Promise<void>) | undefined;
    const t = await makeTestHome({
      quotaBytes: 20_000,
      hooks: {
        // The size is measured before copying (first opening of src/deep); grow the file on the second.
        afterOpen: async (components) => {
          if (components.join('/') === 'src/deep' && ++opened === 2) await grow?.();
        },
      },
    });
    try {
      await t.fs.write('src/deep/b.bin', Buffer.alloc(2000), { createParents: true });
      grow = () => fsp.appendFile(join(t.home, 'src/deep/b.bin'), Buffer.alloc(30_000));
      const before = await snapshot(t.home);
      expect(await codeOf(t.fs.copy('src', 'copy'))).toBe('E_LIMIT');
      expect(opened).toBeGreaterThanOrEqual(2);
      const after = (await snapshot(t.home)).map((line) =>
        line.replace(/^src\/deep\/b\.bin \d+$/, 'src/deep/b.bin'),
      );
      expect(after).toEqual(before.map((line) => line.replace(/^src\/deep\/b\.bin \d+$/, 'src/deep/b.bin')));
    } finally {
      await t.cleanup();
    }
  });
});
