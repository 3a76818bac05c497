import { execFileSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { readPluginSource } from './source.js';

const MANIFEST = {
  name: 'probe',
  version: '1.0.0',
  description: 'a probe',
  handler: 'run.sh',
  tools: [{ name: 'go', description: 'go', parameters: { type: 'object' } }],
};
const SECRET = 'TOP-SECRET host file\n';

// plugin.install copies a folder from the kernel's host. Whoever can write that folder may race the copy, so
// each entry is opened without following it and read from the open handle: these tests put a symlink in a listed
// entry's place exactly between the listing and the read (the hook), where a check-then-read-by-path copy leaked.
describe('reading a plugin folder to install', () => {
  const root = tempDir('habitat-plugin-source-');
  const src = join(root.path, 'src');
  const outside = join(root.path, 'outside');

  beforeEach(async () => {
    await fsp.rm(src, { recursive: true, force: true });
    await fsp.rm(outside, { recursive: true, force: true });
    await fsp.mkdir(join(src, 'lib'), { recursive: true });
    await fsp.writeFile(join(src, 'manifest.json'), JSON.stringify(MANIFEST));
    await fsp.writeFile(join(src, 'run.sh'), 'echo hi\n', { mode: 0o755 });
    await fsp.writeFile(join(src, 'data.txt'), 'benign\n');
    await fsp.writeFile(join(src, 'lib', 'inner.txt'), 'inner\n');
    await fsp.mkdir(outside);
    await fsp.writeFile(join(outside, 'secret'), SECRET);
    await fsp.writeFile(join(outside, 'inner.txt'), SECRET);
  });
  afterAll(() => root.cleanup());

  /** Replaces a path with a symlink in one step (rename over it), as a racing writer would. */
  async function swapForLink(path: string, target: string): Promise<void> {
    await fsp.symlink(target, `${path}.link`);
    await fsp.rename(`${path}.link`, path);
  }

  const leaked = (files: { data: Buffer }[]) => files.some((f) => f.data.toString().includes('TOP-SECRET'));

  it('reads files and folders, with their execute bits', async () => {
    const plugin = await readPluginSource(src);
    expect(plugin.manifest.name).toBe('probe');
    expect(plugin.dirs).toEqual(['lib']);
    expect(plugin.files.map((f) => [f.path, f.data.toString(), f.executable])).toEqual([
      ['data.txt', 'benign\n', false],
      ['lib/inner.txt', 'inner\n', false],
      ['manifest.json', JSON.stringify(MANIFEST), false],
      ['run.sh', 'echo hi\n', true],
    ]);
  });

  it('refuses symlinks and special files already in place, and a source that is a symlink', async () => {
    await fsp.symlink(join(outside, 'secret'), join(src, 'passwd'));
    await expect(readPluginSource(src)).rejects.toMatchObject({
      code: 'E_INVALID',
      message: expect.stringMatching(/passwd is a symlink/),
    });
    await fsp.rm(join(src, 'passwd'));
    await fsp.symlink(outside, join(src, 'lib', 'away'));
    await expect(readPluginSource(src)).rejects.toMatchObject({
      message: expect.stringMatching(/lib\/away/),
    });
    await fsp.rm(join(src, 'lib', 'away'));
    execFileSync('mkfifo', [join(src, 'pipe')]);
    await expect(readPluginSource(src)).rejects.toMatchObject({
      message: expect.stringMatching(/pipe is not one/),
    });
    await fsp.rm(join(src, 'pipe'));
    const linkedTop = join(root.path, 'linked-src');
    await fsp.symlink(src, linkedTop);
    await expect(readPluginSource(linkedTop)).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await expect(readPluginSource(src)).resolves.toMatchObject({ dirs: ['lib'] });
  });

  it('refuses a file swapped for a symlink between the listing and the read, and reads nothing through it', async () => {
    const seen: string[] = [];
    const reading = readPluginSource(src, {
      async beforeOpen(path) {
        seen.push(path);
        if (path === 'data.txt') await swapForLink(join(src, 'data.txt'), join(outside, 'secret'));
      },
    });
    await expect(reading).rejects.toMatchObject({
      code: 'E_INVALID',
      message: expect.stringMatching(/data\.txt changed while it was read/),
    });
    expect(seen).toContain('data.txt'); // the swap happened after data.txt was listed and lstat'ed as a file
    expect((await fsp.lstat(join(src, 'data.txt'))).isSymbolicLink()).toBe(true);
  });

  it('refuses a folder swapped for a symlink before it is opened', async () => {
    await expect(
      readPluginSource(src, {
        async beforeOpen(path) {
          if (path === 'lib') {
            await fsp.rename(join(src, 'lib'), join(root.path, 'lib-moved'));
            await swapForLink(join(src, 'lib'), outside);
          }
        },
      }),
    ).rejects.toMatchObject({
      code: 'E_INVALID',
      message: expect.stringMatching(/lib changed while it was read/),
    });
    await fsp.rm(join(root.path, 'lib-moved'), { recursive: true });
  });

  it('refuses a file swapped for a FIFO rather than hang on it', async () => {
    await expect(
      readPluginSource(src, {
        async beforeOpen(path) {
          if (path !== 'data.txt') return;
          execFileSync('mkfifo', [join(src, 'fifo')]);
          await fsp.rename(join(src, 'fifo'), join(src, 'data.txt'));
        },
      }),
    ).rejects.toMatchObject({ code: 'E_INVALID', message: expect.stringMatching(/data\.txt changed/) });
  });

  it.runIf(process.platform === 'linux')(
    'keeps reading the folder it opened when that folder is swapped for a symlink afterwards',
    async () => {
      const plugin = await readPluginSource(src, {
        async beforeOpen(path) {
          if (path !== 'lib/inner.txt') return;
          // lib is open and listed; now it moves away and a link to a host folder with the same names takes its place
          await fsp.rename(join(src, 'lib'), join(root.path, 'lib-moved'));
          await swapForLink(join(src, 'lib'), outside);
        },
      });
      expect(leaked(plugin.files)).toBe(false);
      expect(plugin.files.find((f) => f.path === 'lib/inner.txt')?.data.toString()).toBe('inner\n');
      await fsp.rm(join(root.path, 'lib-moved'), { recursive: true });
    },
  );

  it('never copies a host file through a link swapped in and out during many reads', async () => {
    // the reviewer's race, made short: a writer flips data.txt between a file and a link while reads go on
    let stop = false;
    const writer = (async () => {
      const path = join(src, 'data.txt');
      while (!stop) {
        await swapForLink(path, join(outside, 'secret'));
        await fsp.writeFile(`${path}.file`, 'benign\n');
        await fsp.rename(`${path}.file`, path);
      }
    })();
    let copies = 0;
    try {
      for (let i = 0; i < 300; i++) {
        const plugin = await readPluginSource(src).catch(() => undefined);
        if (plugin) expect(leaked(plugin.files)).toBe(false);
        if (plugin) copies++;
      }
    } finally {
      stop = true;
      await writer;
    }
    console.log(`[plugin source race] ${copies} of 300 reads copied the folder, none through the link`);
  });
});
