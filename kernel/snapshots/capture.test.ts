import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, promises as fsp, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { captureHome } from './capture.js';
import { FileWorker } from './fileWorker.js';
import { materialize } from './materialize.js';
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

// A power loss can leave an object that was never fsynced as a name with no content (ext4: empty). Nothing may
// de-duplicate against such an object: the next capture of that content writes it again.
describe('a damaged object in the store', () => {
  const worker = new FileWorker();
  let dir: { path: string; cleanup(): void };
  let home: string;
  const root = () => join(dir.path, 'snapshots');
  const CONTENT = 'precious content v1';

  beforeEach(() => {
    dir = tempDir('habitat-torn-');
    home = join(dir.path, 'homes', '1');
    mkdirSync(join(home, 'notes'), { recursive: true });
    writeFileSync(join(home, 'notes', 'important.md'), CONTENT);
  });
  afterEach(() => dir.cleanup());
  afterAll(() => worker.close());

  /** A first capture, then its object torn and the store opened again, as after a reboot. */
  const captureThenTear = async () => {
    const before = new ObjectStore(root());
    await before.open();
    const first = await captureHome(home, before, worker, { now: () => Date.now() + 60_000 });
    const entry = first.entries.find((e) => e.path === 'notes/important.md');
    if (entry?.type !== 'file') throw new Error('not captured');
    await fsp.truncate(before.path(entry.hash), 0);
    const store = new ObjectStore(root());
    await store.open();
    return { store, first, hash: entry.hash };
  };
  const restores = async (
    store: ObjectStore,
    entries: Awaited<ReturnType<typeof captureHome>>['entries'],
  ) => {
    const target = join(dir.path, `restored-${Math.random().toString(36).slice(2)}`);
    await materialize({ entries } as never, store, worker, target);
    return fsp.readFile(join(target, 'notes', 'important.md'), 'utf8');
  };

  it('writes the content again when an unchanged file (same fingerprint) names a torn object', async () => {
    const { store, first, hash } = await captureThenTear();
    expect(first.fingerprints.get('notes/important.md')?.hash).toBe(hash);
    const again = await captureHome(home, store, worker, { previous: first.fingerprints });
    expect(again.added).toBe(CONTENT.length);
    expect((await fsp.stat(store.path(hash))).size).toBe(CONTENT.length);
    expect(await restores(store, again.entries)).toBe(CONTENT);
  });

  it('writes the content again when a changed file (read anew) has the content of a torn object', async () => {
    const { store } = await captureThenTear();
    writeFileSync(join(home, 'notes', 'important.md'), CONTENT); // same bytes, new ctime
    const again = await captureHome(home, store, worker);
    expect(again.added).toBe(CONTENT.length);
    expect(await restores(store, again.entries)).toBe(CONTENT);
  });

  it('writes a buffer again over a torn object of its content', async () => {
    const store = new ObjectStore(root());
    await store.open();
    const { hash } = await store.putBuffer(Buffer.from(CONTENT));
    await fsp.truncate(store.path(hash), 0);
    const reopened = new ObjectStore(root());
    await reopened.open();
    expect(await reopened.putBuffer(Buffer.from(CONTENT))).toEqual({
      hash,
      added: CONTENT.length,
      size: CONTENT.length,
    });
    expect((await reopened.readVerified(hash, 1000)).toString()).toBe(CONTENT);
  });

  it('makes what a snapshot names durable before its record, and leaves checkpoints unsynced', async () => {
    const { Kernel } = await import('../Kernel.js');
    const kernel = await Kernel.open({
      dataDir: join(dir.path, 'data'),
      mode: 'headless',
      version: 'test',
      termGraceMs: 500,
      warmPool: { size: 0 },
    });
    try {
      const { pid } = await kernel.processes.spawn({ network: false, goal: 'write things' });
      await kernel.fs(pid).write('notes/a.md', 'a');
      kernel.snapshots.checkpoints(pid, { enabled: true });
      expect(await kernel.snapshots.afterStep(pid, 1)).toBeDefined();
      expect(kernel.snapshots.store.pending).toBeGreaterThan(0);
      await kernel.fs(pid).write('notes/b.md', 'b');
      await kernel.snapshots.create(pid);
      expect(kernel.snapshots.store.pending).toBe(1); // the checkpoint's manifest, which the snapshot does not name
    } finally {
      await kernel.close();
    }
  });

  it('a snapshot after a reboot that tore an object of the same content restores (the reviewed case)', async () => {
    const { Kernel } = await import('../Kernel.js');
    const open = () =>
      Kernel.open({
        dataDir: join(dir.path, 'data'),
        mode: 'headless',
        version: 'test',
        termGraceMs: 500,
        warmPool: { size: 0 },
      });
    let kernel = await open();
    const { pid } = await kernel.processes.spawn({ network: false });
    await kernel.fs(pid).write('notes/important.md', CONTENT);
    const first = await kernel.snapshots.create(pid);
    const manifest = JSON.parse(await fsp.readFile(kernel.snapshots.store.path(first.manifest), 'utf8')) as {
      entries: { path: string; hash: string }[];
    };
    const hash = manifest.entries.find((e) => e.path === 'notes/important.md')!.hash;
    await fsp.truncate(kernel.snapshots.store.path(hash), 0);
    await kernel.close();
    kernel = await open();
    try {
      const second = await kernel.snapshots.create(pid); // the file unchanged: its fingerprint matches
      const restored = await kernel.snapshots.restore(second.id);
      expect((await kernel.fs(restored.process.pid).read('notes/important.md')).content).toBe(CONTENT);
    } finally {
      await kernel.close();
    }
  }, 30_000);
});

// An agent can nest folders without end (mkdir a; cd a, in a loop): the walk, which holds one open folder per
// level and recurses once per level, stops at a bound and says what it left out, instead of failing every capture.
describe('a home nested deeper than the walk goes', () => {
  const worker = new FileWorker();
  let dir: { path: string; cleanup(): void };
  let home: string;
  let store: ObjectStore;

  /** Runs a script in home (paths this deep exceed PATH_MAX: only relative ones work, and chdir is not for tests). */
  const inHome = (script: string) => {
    const run = spawnSync(process.execPath, ['-e', script], { cwd: home, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(run.stderr);
  };

  beforeEach(async () => {
    dir = tempDir('habitat-deep-');
    home = join(dir.path, 'homes', '1');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'top.txt'), 'top');
    store = new ObjectStore(join(dir.path, 'snapshots'));
    await store.open();
  });
  afterEach(() => {
    spawnSync('rm', ['-rf', dir.path]); // rm walks relative to open folders: any depth
    dir.cleanup();
  });
  afterAll(() => worker.close());

  it('captures a 3,000-level chain down to 256 levels, listing the folder it did not enter', async () => {
    inHome(`const fs = require('fs');
      for (let i = 0; i < 3000; i++) { fs.mkdirSync('a'); process.chdir('a'); }
      fs.writeFileSync('leaf.txt', 'leaf');`);
    const captured = await captureHome(home, store, worker);
    const dirs = captured.entries.filter((e) => e.type === 'dir');
    expect(dirs).toHaveLength(256);
    expect(dirs.at(-1)?.path).toBe(Array(256).fill('a').join('/'));
    expect(captured.entries.find((e) => e.path === 'top.txt')).toBeDefined();
    expect(captured.skipped).toEqual([
      {
        path: Array(256).fill('a').join('/'),
        reason: 'folder nested too deep (256 levels): what it holds is left out',
      },
    ]);
    // and what was kept restores
    await materialize({ entries: captured.entries } as never, store, worker, join(dir.path, 'restored'));
  }, 60_000);

  it('stops where a path would be too long to restore, even under 256 levels', async () => {
    const name = 'n'.repeat(200);
    inHome(`const fs = require('fs');
      for (let i = 0; i < 30; i++) { fs.mkdirSync(${JSON.stringify(name)}); process.chdir(${JSON.stringify(name)}); }
      fs.writeFileSync('leaf.txt', 'leaf');`);
    const captured = await captureHome(home, store, worker);
    const deepest = captured.entries.filter((e) => e.type === 'dir').at(-1)!.path;
    expect(Buffer.byteLength(deepest)).toBeGreaterThan(3072);
    expect(Buffer.byteLength(deepest)).toBeLessThan(3072 + 202);
    expect(captured.skipped).toEqual([
      { path: deepest, reason: 'folder path too long (over 3072 bytes): what it holds is left out' },
    ]);
    await materialize({ entries: captured.entries } as never, store, worker, join(dir.path, 'restored'));
  }, 60_000);
});
