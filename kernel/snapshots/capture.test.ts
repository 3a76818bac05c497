import { spawn } from 'node:child_process';
import { mkdirSync, promises as fsp, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { captureHome } from './capture.js';
import { FileWorker } from './fileWorker.js';
import { ObjectStore } from './objects.js';

const SECRET = 'HOST-SECRET-KEY';

// A capture reads a home an agent may be changing (a checkpoint leaves its sandbox running): a folder swapped for a
// link, at any depth and at any moment, must never lead the kernel's reads out of the home.
describe('capturing a home an agent changes meanwhile', () => {
  const worker = new FileWorker();
  let dir: { path: string; cleanup(): void };
  let home: string;
  let outside: string;
  let store: ObjectStore;

  beforeEach(async () => {
    dir = tempDir('habitat-capture-');
    home = join(dir.path, 'homes', '1');
    outside = join(dir.path, 'host-secret');
    mkdirSync(join(home, 'w', 'Documents'), { recursive: true });
    writeFileSync(join(home, 'w', 'Documents', 'id_rsa'), 'decoy');
    mkdirSync(outside);
    writeFileSync(join(outside, 'id_rsa'), SECRET);
    store = new ObjectStore(join(dir.path, 'snapshots'));
    await store.open();
  });
  afterEach(() => dir.cleanup());
  afterAll(() => worker.close());

  /** The agent's move: the real folder out of the way, a link to the host folder in its place. */
  const swapForLink = (folder: string) => {
    renameSync(join(home, folder), join(home, `${folder}.real`));
    symlinkSync(outside, join(home, folder));
  };
  const contents = async (hash: string) => fsp.readFile(store.path(hash), 'utf8');
  const storedSecret = async () => {
    for (const hash of (await store.list()).keys()) if ((await contents(hash)) === SECRET) return true;
    return false;
  };

  it('does not follow a folder swapped for a link between the walk and the reading of files', async () => {
    const captured = await captureHome(home, store, worker, { afterWalk: () => swapForLink('w/Documents') });
    expect(captured.entries.find((e) => e.path === 'w/Documents/id_rsa')).toBeUndefined();
    expect(captured.skipped).toContainEqual({
      path: 'w/Documents/id_rsa',
      reason: expect.stringMatching(/^unreadable file: (ELOOP|ENOTDIR)$/) as unknown,
    });
    expect(await storedSecret()).toBe(false);
  });

  it('does not follow a link in any folder of a path it is asked to store', async () => {
    swapForLink('w');
    const [result] = await worker.run('store', {
      home,
      objects: store.objects,
      tmp: store.tmp,
      paths: ['w/Documents/id_rsa'],
    });
    expect(result).toEqual({ error: expect.stringMatching(/^(ELOOP|ENOTDIR)$/) as unknown });
    expect(await storedSecret()).toBe(false);
  });

  it('does not walk into a folder swapped for a link after it was listed (the parallel walk of a subtree)', async () => {
    mkdirSync(join(home, 'a', 'b'), { recursive: true });
    writeFileSync(join(home, 'a', 'b', 'inside'), 'inside');
    const top = await worker.run('walk', { home, from: '', depth: 2 });
    expect(top.cut).toContain('a/b');
    renameSync(join(home, 'a'), join(home, 'a.real'));
    symlinkSync(join(dir.path), join(home, 'a')); // a/b is now <data>/b... or anything outside
    mkdirSync(join(dir.path, 'b'));
    writeFileSync(join(dir.path, 'b', 'id_rsa'), SECRET);
    const below = await worker.run('walk', { home, from: 'a/b' });
    expect(below.entries).toEqual([]);
    expect(below.unreadable).toEqual([
      { path: 'a/b', code: expect.stringMatching(/^(ELOOP|ENOTDIR)$/) as unknown },
    ]);
  });

  it('reads the real folder when one real folder is swapped for another, and keeps links that stay inside', async () => {
    symlinkSync('Documents/id_rsa', join(home, 'w', 'key'));
    const captured = await captureHome(home, store, worker, {
      afterWalk: () => {
        renameSync(join(home, 'w', 'Documents'), join(home, 'w', 'Old'));
        mkdirSync(join(home, 'w', 'Documents'));
        writeFileSync(join(home, 'w', 'Documents', 'id_rsa'), 'replaced');
      },
    });
    const file = captured.entries.find((e) => e.path === 'w/Documents/id_rsa');
    expect(file?.type === 'file' && (await contents(file.hash))).toBe('replaced');
    expect(captured.entries).toContainEqual(
      expect.objectContaining({ type: 'symlink', path: 'w/key', target: 'Documents/id_rsa' }),
    );
  });

  it('survives an agent flipping folders and links as fast as it can: no capture fails, none reads outside', async () => {
    for (let i = 0; i < 300; i++) writeFileSync(join(home, `bulk${i}`), 'x'.repeat(i));
    // Documents flips between the real folder and a link to the host folder; 'gone' appears and vanishes as a link
    const script = `
      const fs = require('fs'), h = ${JSON.stringify(join(home, 'w'))}, o = ${JSON.stringify(outside)};
      fs.symlinkSync(o, h + '/link');
      for (;;) {
        try { fs.symlinkSync('Documents', h + '/gone'); fs.unlinkSync(h + '/gone'); } catch {}
        fs.renameSync(h + '/Documents', h + '/d'); fs.renameSync(h + '/link', h + '/Documents');
        fs.renameSync(h + '/Documents', h + '/link'); fs.renameSync(h + '/d', h + '/Documents');
      }`;
    const agent = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => setTimeout(resolve, 200));
      const deadline = Date.now() + 3_000;
      let captures = 0;
      while (captures < 20 && (captures === 0 || Date.now() < deadline)) {
        const captured = await captureHome(home, store, worker);
        captures++;
        const key = captured.entries.find((e) => e.path === 'w/Documents/id_rsa');
        if (key?.type === 'file') expect(await contents(key.hash)).toBe('decoy');
      }
      expect(captures).toBeGreaterThan(0);
    } finally {
      agent.kill('SIGKILL');
    }
    expect(await storedSecret()).toBe(false);
  }, 20_000);
});
