import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FsChange } from './index.js';
import { codeOf, makeTestHome, sleep, waitFor, type TestHome } from './testHome.js';

const has = (changes: FsChange[], path: string, kind: FsChange['kind']) =>
  changes.some((c) => c.path === path && c.kind === kind);

describe.each(['auto', 'portable'] as const)('AgentFs.watch (%s resolution)', (resolution) => {
  let t: TestHome;
  let changes: FsChange[];
  beforeEach(async () => {
    t = await makeTestHome({ resolution });
    changes = [];
  });
  afterEach(() => t.cleanup());

  it('reports creations, changes and deletions with home-relative paths', async () => {
    const watch = await t.fs.watch('.', (change) => changes.push(change));
    expect(watch).toMatchObject({ id: expect.any(String), path: '.' });
    await t.fs.write('Documents/a.txt', 'one');
    await waitFor(() => has(changes, 'Documents/a.txt', 'created'));
    await t.fs.write('Documents/a.txt', 'two'); // atomic replace: still a change of the same path
    await waitFor(() => has(changes, 'Documents/a.txt', 'changed'));
    await fsp.appendFile(join(t.home, 'Documents/a.txt'), 'three'); // in place, by someone else
    await waitFor(() => changes.filter((c) => c.kind === 'changed').length >= 2);
    await t.fs.delete('Documents/a.txt');
    await waitFor(() => has(changes, 'Documents/a.txt', 'deleted'));
    expect(changes.some((c) => c.path.includes('.habitat-tmp-'))).toBe(false);
  });

  it('coalesces a burst into one event per path', async () => {
    await t.fs.write('notes/log.txt', '');
    await t.fs.watch('notes', (change) => changes.push(change));
    const handle = await fsp.open(join(t.home, 'notes/log.txt'), 'a');
    for (let i = 0; i < 50; i++) await handle.write(`line ${i}\n`);
    await handle.close();
    await waitFor(() => changes.length > 0);
    await sleep(150);
    expect(changes).toEqual([{ path: 'notes/log.txt', kind: 'changed' }]);
  });

  it('follows new folders, renames and deleted trees', async () => {
    await t.fs.watch('.', (change) => changes.push(change));
    await t.fs.mkdir('proj/src', { recursive: true });
    await waitFor(() => has(changes, 'proj', 'created'));
    await t.fs.write('proj/src/main.ts', 'x');
    await waitFor(() => has(changes, 'proj/src/main.ts', 'created'));
    await t.fs.move('proj/src/main.ts', 'proj/index.ts');
    await waitFor(() => changes.some((c) => c.kind === 'renamed'));
    expect(changes.find((c) => c.kind === 'renamed')).toEqual({
      path: 'proj/index.ts',
      kind: 'renamed',
      oldPath: 'proj/src/main.ts',
    });
    await t.fs.move('proj', 'project');
    await waitFor(() => has(changes, 'project', 'renamed'));
    await t.fs.write('project/src/late.ts', 'y'); // the moved folder is still watched under its new name
    await waitFor(() => has(changes, 'project/src/late.ts', 'created'));
    await t.fs.delete('project', { recursive: true });
    await waitFor(() => has(changes, 'project', 'deleted'));
  });

  it('reports a folder that came and went within one debounce as deleted, and nothing named after its watch', async () => {
    await t.fs.mkdir('plugins');
    await t.fs.watch('plugins', (change) => changes.push(change));
    await t.fs.mkdir('plugins/.staging');
    await t.fs.write('plugins/.staging/manifest.json', '{}');
    await t.fs.move('plugins/.staging', 'plugins/tool'); // someone reads plugins/tool here
    await t.fs.delete('plugins/tool', { recursive: true });
    await waitFor(() => has(changes, 'plugins/tool', 'deleted'));
    await t.fs.mkdir('plugins/kept');
    await waitFor(() => has(changes, 'plugins/kept', 'created'));
    await fsp.chmod(join(t.home, 'plugins/kept'), 0o700); // an event on a watched folder itself is not a child's
    await sleep(150);
    await t.fs.delete('plugins/kept');
    await waitFor(() => has(changes, 'plugins/kept', 'deleted'));
    await sleep(150);
    const allowed = ['plugins/.staging', 'plugins/.staging/manifest.json', 'plugins/tool', 'plugins/kept'];
    expect(changes.filter((c) => !allowed.includes(c.path))).toEqual([]);
  });

  it('watches a single file and stops on unwatch', async () => {
    await t.fs.write('Desktop/todo.md', '- a');
    const watch = await t.fs.watch('Desktop/todo.md', (change) => changes.push(change));
    await t.fs.write('Desktop/other.md', 'not watched');
    await t.fs.write('Desktop/todo.md', '- b');
    await waitFor(() => changes.length > 0);
    await sleep(100);
    expect(changes).toEqual([{ path: 'Desktop/todo.md', kind: 'changed' }]);
    t.fs.unwatch(watch.id);
    await t.fs.write('Desktop/todo.md', '- c');
    await sleep(150);
    expect(changes).toHaveLength(1);
    expect(() => t.fs.unwatch(watch.id)).toThrow(expect.objectContaining({ code: 'E_NOT_FOUND' }));
  });

  it('refuses missing paths and too many watches', async () => {
    expect(await codeOf(t.fs.watch('nope', () => undefined))).toBe('E_NOT_FOUND');
    const watches = [];
    for (let i = 0; i < 32; i++) watches.push(await t.fs.watch('notes', () => undefined));
    expect(await codeOf(t.fs.watch('notes', () => undefined))).toBe('E_LIMIT');
    watches[0]!.dispose();
    await t.fs.watch('notes', () => undefined);
  });
});
