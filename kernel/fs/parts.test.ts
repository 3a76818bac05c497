import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentFs } from './AgentFs.js';
import { makeTestHome, type TestHome } from './testHome.js';

// Part files of writes in parts (habitat fs put of a large file): theirs until moved, removed when released, and
// leftovers of an earlier kernel swept by the next write in parts into their folder.
describe('AgentFs part files', () => {
  let t: TestHome;
  beforeEach(async () => (t = await makeTestHome()));
  afterEach(() => t.cleanup());

  const names = (folder: string) => fsp.readdir(join(t.home, folder)).then((n) => n.sort());

  it("releaseParts removes a holder's unfinished parts, and only those", async () => {
    const a = {};
    const b = {};
    await t.fs.write('Downloads/.habitat-tmp-aaaa', 'one', { holder: a });
    await t.fs.write('Downloads/.habitat-tmp-aaaa', 'two', { holder: a, append: true });
    await t.fs.write('Downloads/.habitat-tmp-done', 'whole', { holder: a });
    await t.fs.move('Downloads/.habitat-tmp-done', 'Downloads/done.bin');
    await t.fs.write('Downloads/.habitat-tmp-bbbb', 'other', { holder: b });
    await t.fs.write('Downloads/plain.txt', 'not a part', { holder: a });

    await t.fs.releaseParts(a);
    expect(await names('Downloads')).toEqual(['.habitat-tmp-bbbb', 'done.bin', 'plain.txt']);
    expect((await t.fs.read('Downloads/done.bin')).content).toBe('whole');
    // b's put goes on
    await t.fs.write('Downloads/.habitat-tmp-bbbb', '+', { holder: b, append: true });
    await t.fs.move('Downloads/.habitat-tmp-bbbb', 'Downloads/b.bin');
    await t.fs.releaseParts(b);
    expect((await t.fs.read('Downloads/b.bin')).content).toBe('other+');
  });

  it('a release asked for while a part is still being written removes it after that write', async () => {
    const a = {};
    const writing = t.fs.write('.habitat-tmp-late', 'x', { holder: a });
    const released = t.fs.releaseParts(a);
    await Promise.all([writing, released]);
    expect(await names('.')).not.toContain('.habitat-tmp-late');
  });

  it("a new part sweeps its folder's leftovers of an earlier kernel, never a part in progress", async () => {
    const hour = new Date(Date.now() - 3600_000);
    const leftover = async (path: string, folder = false) => {
      const full = join(t.home, path);
      if (folder) {
        await fsp.mkdir(full);
        await fsp.writeFile(join(full, 'inner'), 'x');
      } else await fsp.writeFile(full, 'stale');
      await fsp.utimes(full, hour, hour);
    };
    await leftover('Downloads/.habitat-tmp-crashed');
    await leftover('Downloads/.habitat-tmp-copydir', true);
    await leftover('Documents/.habitat-tmp-elsewhere');
    // the kernel starts again (a new AgentFs on the same home); a put of another connection is under way
    const files = new AgentFs({ root: t.home });
    try {
      const other = {};
      await files.write('Downloads/.habitat-tmp-heldold', 'part 1', { holder: other });
      await fsp.utimes(join(t.home, 'Downloads/.habitat-tmp-heldold'), hour, hour); // stalled, yet alive
      await fsp.writeFile(join(t.home, 'Downloads/.habitat-tmp-fresh'), 'this kernel'); // not from before
      const mine = {};
      await files.write('Downloads/.habitat-tmp-new', 'part 1', { holder: mine });
      expect(await names('Downloads')).toEqual([
        '.habitat-tmp-fresh',
        '.habitat-tmp-heldold',
        '.habitat-tmp-new',
      ]);
      expect(await names('Documents')).toEqual(['.habitat-tmp-elsewhere']); // another folder: not this put's
      // the next part of a put in progress sweeps nothing
      await leftover('Downloads/.habitat-tmp-later');
      await files.write('Downloads/.habitat-tmp-new', 'part 2', { holder: mine, append: true });
      expect(await names('Downloads')).toContain('.habitat-tmp-later');
      await files.write('Downloads/.habitat-tmp-heldold', ' part 2', { holder: other, append: true });
      expect((await files.read('Downloads/.habitat-tmp-heldold')).content).toBe('part 1 part 2');
    } finally {
      files.close();
    }
  });
});
