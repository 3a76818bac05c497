import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeWorkDir, sweepWorkDirs } from './workDirs.js';

describe('image build folders', () => {
  const parent = mkdtempSync(join(tmpdir(), 'habitat-workdirs-test-'));
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  /** A build folder as a build of process `owner` leaves it (no owner: made before builds said whose it was). */
  const folder = (name: string, owner?: number, ageMs = 0) => {
    const dir = join(parent, name);
    mkdirSync(join(dir, 'rootfs', 'etc'), { recursive: true });
    writeFileSync(join(dir, 'rootfs', 'etc', 'hostname'), 'sandbox\n');
    if (owner !== undefined) writeFileSync(join(dir, 'owner.pid'), `${owner}\n`);
    const at = (Date.now() - ageMs) / 1000;
    utimesSync(dir, at, at);
  };

  it('removes the folders of builds whose process is gone, and only those', async () => {
    const gone = spawnSync('true').pid!; // a process that has ended
    folder('habitat-image-dead', gone);
    folder('habitat-image-live', process.pid);
    folder('habitat-image-old-unowned', undefined, 2 * 60 * 60_000);
    folder('habitat-image-new-unowned');
    folder('not-a-build', gone);
    expect((await sweepWorkDirs(parent)).sort()).toEqual(['habitat-image-dead', 'habitat-image-old-unowned']);
    expect(readdirSync(parent).sort()).toEqual([
      'habitat-image-live',
      'habitat-image-new-unowned',
      'not-a-build',
    ]);
  });

  it('a new build folder says whose it is, and sweeps first', async () => {
    folder('habitat-image-dead2', spawnSync('true').pid!);
    const dir = await makeWorkDir(parent);
    expect(readdirSync(parent)).not.toContain('habitat-image-dead2');
    expect(readdirSync(dir)).toEqual(['owner.pid']);
    expect(await sweepWorkDirs(parent)).toEqual([]); // ours, and we live
  });
});
