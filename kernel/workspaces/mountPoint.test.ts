import { spawn } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { mountPoint } from './mountPoint.js';

// The kernel makes ~/shared/<name> in a home an agent can change while it does: no swap of a folder for a link may
// aim its mkdir outside the home.
describe('mountPoint', () => {
  let dir: { path: string; cleanup(): void };
  let home: string;
  let outside: string;

  beforeEach(() => {
    dir = tempDir('habitat-mountpoint-');
    home = join(dir.path, 'homes', '1');
    outside = join(dir.path, 'etc');
    mkdirSync(join(home, 'shared'), { recursive: true });
    mkdirSync(outside);
  });
  afterEach(() => dir.cleanup());

  it('makes the folders, and takes existing ones as they are', async () => {
    expect(await mountPoint(home, ['shared', 'team'])).toBe(join(home, 'shared', 'team'));
    expect(lstatSync(join(home, 'shared', 'team')).isDirectory()).toBe(true);
    await mountPoint(home, ['shared', 'team']);
    await mountPoint(home, ['made', 'deep']);
    expect(lstatSync(join(home, 'made', 'deep')).isDirectory()).toBe(true);
  });

  it('refuses a link or a file in the path, wherever it is', async () => {
    renameSync(join(home, 'shared'), join(home, 'shared.real'));
    symlinkSync(outside, join(home, 'shared'));
    await expect(mountPoint(home, ['shared', 'ws'])).rejects.toMatchObject({ code: 'E_CONFLICT' });
    symlinkSync(outside, join(home, 'shared.real', 'ws'));
    await expect(mountPoint(home, ['shared.real', 'ws'])).rejects.toMatchObject({ code: 'E_CONFLICT' });
    writeFileSync(join(home, 'file'), '');
    await expect(mountPoint(home, ['file', 'ws'])).rejects.toMatchObject({ code: 'E_CONFLICT' });
    expect(readdirSync(outside)).toEqual([]);
  });

  it('makes the folder in the folder it opened when ~/shared is swapped for a link right after', async () => {
    const made = await mountPoint(home, ['shared', 'ws'], {
      afterOpen: (parts) => {
        if (parts.join('/') !== 'shared') return;
        renameSync(join(home, 'shared'), join(home, 'moved'));
        symlinkSync(outside, join(home, 'shared'));
      },
    });
    expect(made).toBe(join(home, 'shared', 'ws'));
    expect(readdirSync(outside)).toEqual([]);
    expect(lstatSync(join(home, 'moved', 'ws')).isDirectory()).toBe(true);
  });

  it('never makes a folder outside while an agent flips ~/shared and a link as fast as it can', async () => {
    const script = `const fs = require('fs'), h = ${JSON.stringify(home)};
      fs.symlinkSync(${JSON.stringify(outside)}, h + '/L');
      for (;;) { try { fs.renameSync(h + '/shared', h + '/D'); fs.renameSync(h + '/L', h + '/shared');
        fs.renameSync(h + '/shared', h + '/L'); fs.renameSync(h + '/D', h + '/shared'); } catch {} }`;
    const agent = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const deadline = Date.now() + 1_500;
      for (let i = 0; Date.now() < deadline; i++)
        await mountPoint(home, ['shared', `ws${i}`]).catch(() => {});
    } finally {
      agent.kill('SIGKILL');
    }
    expect(readdirSync(outside)).toEqual([]);
  }, 15_000);
});
