import { createHash } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { Kernel } from '../Kernel.js';
import { MANIFEST_FORMAT, type Manifest } from './index.js';
import { digestTree, tarArchive, tarEntry } from './testing/trees.js';

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

// Export and import as one tar file, and the archives an attacker (or a bad disk) would hand to import.
describe('snapshot export and import', () => {
  const dir = tempDir('habitat-snaparc-');
  const out = tempDir('habitat-snaparc-out-');
  let kernel: Kernel;

  beforeAll(async () => {
    kernel = await Kernel.open({ dataDir: dir.path, mode: 'headless', version: 'test', termGraceMs: 500 });
  });
  afterAll(async () => {
    await kernel.close();
    dir.cleanup();
    out.cleanup();
  });

  /** What the store holds: refs and objects; an import that is refused must change neither. */
  const storeState = async () => ({
    refs: (await fsp.readdir(join(kernel.layout.snapshots, 'refs'))).sort(),
    objects: [...(await kernel.snapshots.store.list()).keys()].sort(),
    tmp: await fsp.readdir(join(kernel.layout.snapshots, 'tmp')),
  });

  async function snapshotOfSomething(): Promise<{ id: string; pid: number }> {
    const agent = await kernel.processes.spawn({ name: 'exported', network: false });
    const home = kernel.processes.home(agent.pid);
    await fsp.writeFile(join(home, 'Documents/a.txt'), 'alpha\n'.repeat(1000));
    await fsp.writeFile(join(home, 'Documents/b.bin'), Buffer.alloc(100_000, 3));
    await fsp.symlink('a.txt', join(home, 'Documents/link'));
    const info = await kernel.snapshots.create(agent.pid);
    return { id: info.id, pid: agent.pid };
  }

  it('round-trips a snapshot through one file (plain and gzipped), byte-identical after restore', async () => {
    const { id, pid } = await snapshotOfSomething();
    const file = join(out.path, 'one.tar');
    const gz = join(out.path, 'one.tar.gz');
    const exported = await kernel.snapshots.export(id, file);
    expect(exported.bytes).toBe((await fsp.stat(file)).size);
    await kernel.snapshots.export(id, gz, { gzip: true });
    expect((await fsp.stat(gz)).size).toBeLessThan(exported.bytes);
    await expect(kernel.snapshots.export(id, file)).rejects.toMatchObject({ code: 'E_CONFLICT' });

    await kernel.snapshots.delete(id);
    const imported = await kernel.snapshots.import(gz);
    expect(imported.id).toBe(id);
    await expect(kernel.snapshots.import(file)).rejects.toMatchObject({ code: 'E_CONFLICT' });
    const restored = await kernel.snapshots.restore(id);
    expect(await digestTree(kernel.processes.home(restored.process.pid))).toEqual(
      await digestTree(kernel.processes.home(pid)),
    );
  });

  it('refuses a truncated or corrupted file and leaves the store as it was', async () => {
    const { id } = await snapshotOfSomething();
    const file = join(out.path, 'two.tar');
    await kernel.snapshots.export(id, file);
    await kernel.snapshots.delete(id);
    const data = await fsp.readFile(file);
    const before = await storeState();

    for (const cut of [100, 700, Math.floor(data.length / 2), data.length - 2048 - 700]) {
      const truncated = join(out.path, `cut-${cut}.tar`);
      await fsp.writeFile(truncated, data.subarray(0, cut));
      await expect(kernel.snapshots.import(truncated), `cut at ${cut}`).rejects.toMatchObject({
        code: 'E_INVALID',
        message: expect.stringMatching(/damaged/),
      });
      expect(await storeState()).toEqual(before);
    }

    const flipped = Buffer.from(data);
    const at = flipped.indexOf(Buffer.from('alpha\nalpha'));
    flipped[at + 3] = 'X'.charCodeAt(0);
    await fsp.writeFile(join(out.path, 'flipped.tar'), flipped);
    await expect(kernel.snapshots.import(join(out.path, 'flipped.tar'))).rejects.toMatchObject({
      message: expect.stringMatching(/does not match its checksum/),
    });
    expect(await storeState()).toEqual(before);
    await expect(kernel.snapshots.import(join(out.path, 'nope.tar'))).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
    });
  });

  /** A complete, valid-looking export made by hand, so its manifest can say things a real one never would. */
  function craft(
    entries: Manifest['entries'],
    objects: Record<string, string>,
    extra: Buffer[] = [],
  ): Buffer {
    const id = 'snap-crafted01';
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      id,
      createdAt: new Date().toISOString(),
      label: null,
      source: { pid: 1, name: 'evil', role: null, goal: null },
      process: {
        sandbox: 'host',
        image: null,
        engine: null,
        network: false,
        limits: {},
        gpus: null,
        workspaces: [],
      },
      quiesced: true,
      agent: null,
      mailbox: [],
      entries,
      skipped: [],
    };
    const manifestText = JSON.stringify(manifest);
    const ref = {
      id,
      pid: 1,
      name: 'evil',
      label: null,
      createdAt: manifest.createdAt,
      sandbox: 'host',
      files: 0,
      dirs: 0,
      symlinks: 0,
      skipped: 0,
      bytes: 0,
      storedBytes: 0,
      durationMs: 1,
      manifest: sha(manifestText),
      quiesced: true,
      agentState: false,
      messages: 0,
    };
    const object = (text: string) =>
      tarEntry(`objects/${sha(text).slice(0, 2)}/${sha(text)}`, { data: text });
    return tarArchive([
      tarEntry(`refs/${id}.json`, { data: JSON.stringify(ref) }),
      object(manifestText),
      ...Object.values(objects).map(object),
      ...extra,
    ]);
  }

  const file = (path: string, text: string) =>
    ({ type: 'file', path, mode: 0o644, mtime: 0, size: Buffer.byteLength(text), hash: sha(text) }) as const;

  it('accepts a well-formed hand-made archive (the crafting is right)', async () => {
    const path = join(out.path, 'good.tar');
    await fsp.writeFile(
      path,
      craft([{ type: 'dir', path: 'd', mode: 0o755, mtime: 0 }, file('d/x', 'x')], { x: 'x' }),
    );
    const info = await kernel.snapshots.import(path);
    const restored = await kernel.snapshots.restore(info.id);
    expect(await fsp.readFile(join(kernel.processes.home(restored.process.pid), 'd/x'), 'utf8')).toBe('x');
    await kernel.snapshots.delete(info.id);
  });

  it('refuses archives that try to escape: links, absolute paths, .., paths through symlinks, links that lead out', async () => {
    const canary = join(out.path, 'canary');
    const attacks: [string, Buffer][] = [
      ['a symlink entry', craft([], {}, [tarEntry('objects/aa', { type: '2', linkname: out.path })])],
      ['a hard link entry', craft([], {}, [tarEntry('objects/ab', { type: '1', linkname: '/etc/passwd' })])],
      ['a device entry', craft([], {}, [tarEntry('objects/ac', { type: '3' })])],
      ['an absolute path', craft([], {}, [tarEntry(canary, { data: 'pwned' })])],
      ['a .. path', craft([], {}, [tarEntry(`objects/../../../../../..${canary}`, { data: 'pwned' })])],
      ['an unknown name', craft([], {}, [tarEntry('evil.sh', { data: 'pwned' })])],
      ['a manifest path with ..', craft([file('../../canary', 'pwned')], { p: 'pwned' })],
      ['an absolute manifest path', craft([file(canary, 'pwned')], { p: 'pwned' })],
      [
        'a file under a symlink',
        craft(
          [{ type: 'symlink', path: 'esc', mtime: 0, target: 'Documents' }, file('esc/canary', 'pwned')],
          { p: 'pwned' },
        ),
      ],
      [
        'a symlink that leads out (absolute)',
        craft([{ type: 'symlink', path: 'l', mtime: 0, target: '/etc' }], {}),
      ],
      [
        'a symlink that leads out (relative)',
        craft([{ type: 'symlink', path: 'l', mtime: 0, target: '../../..' }], {}),
      ],
      ['a missing object', craft([file('x', 'not in the archive')], {})],
    ];
    const before = await storeState();
    for (const [what, data] of attacks) {
      const path = join(out.path, 'attack.tar');
      await fsp.writeFile(path, data);
      await expect(kernel.snapshots.import(path), what).rejects.toMatchObject({
        code: 'E_INVALID',
        message: /damaged/,
      });
      expect(await storeState(), what).toEqual(before);
      expect(existsSync(canary), what).toBe(false);
    }
  });
});
