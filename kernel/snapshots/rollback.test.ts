import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test/helpers.js';
import { Kernel } from '../Kernel.js';
import { stagingFor, sweepStaging } from './homeSwap.js';
import type { AgentState } from './index.js';
import { digestTree, populateMixedHome } from './testing/trees.js';

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

// Rollback in place and checkpoints through the whole kernel: real homes, processes, store and mailboxes. The
// runtime's part (the loop) is stood in for here; runtime/supervisor/checkpoints.test.ts runs real agents.
describe('rollback in place and checkpoints', () => {
  const dir = tempDir('habitat-rollback-');
  let kernel: Kernel;
  /** The stand-in runtime: what it would keep of each agent's loop, and the rollbacks it was asked for. */
  const states = new Map<number, AgentState>();
  const rolledBack: { pid: number; state: AgentState }[] = [];

  const open = async () => {
    kernel = await Kernel.open({ dataDir: dir.path, mode: 'headless', version: 'test', termGraceMs: 500 });
    kernel.snapshots.setAgentStateProvider({
      capture: (pid) => states.get(pid),
      restore: (pid, state) => void states.set(pid, state),
      rollback: (pid, state) => ({
        write: () => void states.set(pid, state),
        resume: () => void rolledBack.push({ pid, state }),
      }),
    });
  };
  beforeAll(open);
  afterAll(async () => {
    await kernel.close();
    dir.cleanup();
  });

  const homeOf = (pid: number) => kernel.processes.home(pid);
  const exec = async (pid: number, script: string) =>
    (await kernel.processes.exec(pid, ['sh', '-c', script], { timeoutMs: 5000, maxOutputBytes: 1 << 20 }))
      .stdout;

  it('takes a live agent back in place: same PID and home folder, byte-identical files, its mailbox as it was', async () => {
    const agent = await kernel.processes.spawn({ name: 'undoer', network: false });
    const home = homeOf(agent.pid);
    await populateMixedHome(home);
    const first = kernel.mailboxes.send({ to: agent.pid, body: 'read before' });
    kernel.mailboxes.ack(agent.pid, { ids: [first.id] });
    const unread = kernel.mailboxes.send({ to: agent.pid, body: 'unread then' });
    const outside = (p: string) => ['link-out', 'link-abs-out', 'pipe'].includes(p);
    const before = await digestTree(home, outside);
    const inode = (await fsp.stat(home)).ino;
    const info = await kernel.snapshots.create(agent.pid, { label: 'good state' });

    // the agent goes astray: changes, deletes, adds; reads its mail; new mail arrives
    await exec(
      agent.pid,
      'echo ruined > Documents/notes.txt && rm -rf Downloads Desktop/run.sh && mkdir junk && echo x > junk/y',
    );
    kernel.mailboxes.ack(agent.pid, { all: true });
    const later = kernel.mailboxes.send({ to: agent.pid, body: 'came later' });
    kernel.mailboxes.ack(agent.pid, { ids: [later.id] });

    const result = await kernel.snapshots.rollback(agent.pid, info.id);
    expect(result).toMatchObject({ pid: agent.pid, snapshot: info.id, step: null, warnings: [] });
    expect(kernel.processes.get(agent.pid).state).toBe('running');
    expect(kernel.processes.home(agent.pid)).toBe(home);
    expect((await fsp.stat(home)).ino).toBe(inode); // the same folder: bind mounts keep seeing it
    expect(await digestTree(home, outside)).toEqual(before);
    // the agent's own sandbox sees the old files
    expect(await exec(agent.pid, 'head -1 Documents/notes.txt; test -e junk || echo no junk')).toBe(
      'hello snapshots\nno junk\n',
    );
    const mail = kernel.mailboxes.check(agent.pid, { all: true }).messages;
    expect(mail.map((m) => [m.body, m.readAt !== null])).toEqual([
      ['read before', true],
      ['unread then', false],
      ['came later', false], // the agent as it was then never saw it
    ]);
    expect(mail.find((m) => m.id === unread.id)?.readAt).toBeNull();
    const leftovers = (await fsp.readdir(kernel.layout.homes)).filter((n) => n.startsWith('.rollback'));
    expect(leftovers).toEqual([]);
    expect(kernel.store.latestEvents(agent.pid, 50).map((e) => e.type)).toContain('snapshot.rolledback');
  });

  it('refuses a snapshot of another agent, an agent that ended, and a loop that does not reach a step boundary', async () => {
    const mine = await kernel.processes.spawn({ network: false });
    const other = await kernel.processes.spawn({ network: false });
    await fsp.writeFile(join(homeOf(mine.pid), 'Documents/mine.txt'), 'mine');
    const theirs = await kernel.snapshots.create(other.pid);
    const own = await kernel.snapshots.create(mine.pid);
    await expect(kernel.snapshots.rollback(mine.pid, theirs.id)).rejects.toMatchObject({
      code: 'E_DENIED',
      message: expect.stringContaining(`process ${other.pid}, not of ${mine.pid}`),
    });

    // a loop mid-step (it left its pause point and has not come back): refused, nothing changed
    await fsp.writeFile(join(homeOf(mine.pid), 'Documents/mine.txt'), 'changed');
    const control = kernel.processes.control(mine.pid);
    await control.pausePoint();
    await expect(kernel.snapshots.rollback(mine.pid, own.id, { waitMs: 100 })).rejects.toMatchObject({
      code: 'E_CONFLICT',
      message: expect.stringContaining('step boundary'),
    });
    expect(await fsp.readFile(join(homeOf(mine.pid), 'Documents/mine.txt'), 'utf8')).toBe('changed');
    expect(control.isPaused).toBe(false); // let go again
    control.loopEnded();

    await kernel.processes.signal(other.pid, 'KILL');
    await waitFor(() => kernel.processes.get(other.pid).state === 'zombie', 5000, 'the agent to end');
    await expect(kernel.snapshots.rollback(other.pid, theirs.id)).rejects.toMatchObject({
      code: 'E_CONFLICT',
      message: expect.stringContaining('snapshot restore'),
    });
    const leftovers = (await fsp.readdir(kernel.layout.homes)).filter((n) => n.startsWith('.rollback'));
    expect(leftovers).toEqual([]);
  });

  it('hands a loop agent its conversation back through the runtime, and refuses a snapshot without one', async () => {
    const agent = await kernel.processes.spawn({
      network: false,
      goal: 'g',
      agent: { provider: 'heuristic' },
    });
    states.set(agent.pid, { loop: { step: 3 }, conversation: [{ role: 'user', content: 'g' }] });
    const withState = await kernel.snapshots.create(agent.pid);
    states.set(agent.pid, { loop: { step: 9 }, conversation: [{ role: 'user', content: 'later' }] });
    await kernel.snapshots.rollback(agent.pid, withState.id);
    expect(rolledBack.at(-1)).toEqual({
      pid: agent.pid,
      state: { loop: { step: 3 }, conversation: [{ role: 'user', content: 'g' }] },
    });

    states.delete(agent.pid);
    const without = await kernel.snapshots.create(agent.pid);
    await expect(kernel.snapshots.rollback(agent.pid, without.id)).rejects.toMatchObject({
      code: 'E_CONFLICT',
      message: expect.stringContaining('holds no loop state'),
    });
  });

  it('keeps the last N checkpoints of an agent and frees what only the pruned ones held', async () => {
    await expect(kernel.processes.spawn({ network: false, checkpoints: { keep: 2 } })).rejects.toMatchObject({
      code: 'E_INVALID',
    });
    const agent = await kernel.processes.spawn({ network: false, goal: 'g', checkpoints: { keep: 2 } });
    expect(kernel.snapshots.checkpoints(agent.pid)).toEqual({ pid: agent.pid, enabled: true, keep: 2 });
    const file = join(homeOf(agent.pid), 'Documents/state.txt');
    const version = (n: number) => `version ${n} `.repeat(2000);
    // version 2 is also in a snapshot someone took: pruning must leave it
    const shared = await kernel.processes.spawn({ network: false });
    await fsp.writeFile(join(homeOf(shared.pid), 'Documents/copy.txt'), version(2));
    await kernel.snapshots.create(shared.pid);

    const deleted: string[] = [];
    kernel.events.on('snapshot.deleted', (e) => deleted.push((e as { id: string }).id));
    const taken = [];
    for (let step = 1; step <= 5; step++) {
      await fsp.writeFile(file, version(step));
      taken.push(await kernel.snapshots.afterStep(agent.pid, step));
    }
    expect(taken.map((t) => [t?.kind, t?.step, t?.label])).toEqual(
      [1, 2, 3, 4, 5].map((n) => ['checkpoint', n, `step ${n}`]),
    );
    const listed = (await kernel.snapshots.list({ pid: agent.pid })).snapshots;
    expect(listed.map((s) => s.step)).toEqual([4, 5]);
    expect(deleted).toEqual(taken.slice(0, 3).map((t) => t!.id));
    const has = (n: number) => kernel.snapshots.store.has(sha(version(n)));
    expect(await Promise.all([1, 2, 3, 4, 5].map(has))).toEqual([false, true, false, true, true]);

    // off: no more checkpoints, those there stay; keep out of range is refused
    expect(kernel.snapshots.checkpoints(agent.pid, { enabled: false })).toMatchObject({ enabled: false });
    expect(await kernel.snapshots.afterStep(agent.pid, 6)).toBeUndefined();
    expect((await kernel.snapshots.list({ pid: agent.pid })).snapshots).toHaveLength(2);
    expect(() => kernel.snapshots.checkpoints(agent.pid, { enabled: true, keep: 0 })).toThrow(/keep/);
    expect(kernel.snapshots.checkpoints(agent.pid, { enabled: true, keep: 7 })).toMatchObject({ keep: 7 });
    expect(kernel.processes.record(agent.pid).config.checkpoints).toEqual({ keep: 7 });
  });

  it('undoes at boot a rollback that a crash cut off in the middle of the swap', async () => {
    const agent = await kernel.processes.spawn({ network: false });
    const home = homeOf(agent.pid);
    await fsp.writeFile(join(home, 'Documents/kept.txt'), 'as it was');
    const before = await digestTree(home);
    await kernel.close();

    // what a crash leaves halfway through moving the new contents in: some old entries in old/, some new ones in
    // the home, the rest still in new/
    const journal = join(kernel.layout.homes, `.rollback-${agent.pid}-cut`);
    await fsp.mkdir(join(journal, 'new'), { recursive: true });
    await fsp.mkdir(join(journal, 'old'));
    const names = await fsp.readdir(home);
    for (const name of names) await fsp.rename(join(home, name), join(journal, 'old', name));
    await fsp.writeFile(join(home, 'from-snapshot.txt'), 'new');
    await fsp.writeFile(join(journal, 'new', 'not-yet.txt'), 'new');
    await fsp.writeFile(join(journal, 'phase'), JSON.stringify({ phase: 'in', home, keep: [] }));
    // and a finished one whose journal was not cleaned yet: only cleaned
    const done = join(kernel.layout.homes, `.rollback-${agent.pid}-done`);
    await fsp.mkdir(join(done, 'old'), { recursive: true });
    await fsp.writeFile(join(done, 'old', 'stale.txt'), 'old');
    await fsp.writeFile(join(done, 'phase'), JSON.stringify({ phase: 'done', home, keep: [] }));

    await open();
    expect(await digestTree(home)).toEqual(before);
    expect((await fsp.readdir(kernel.layout.homes)).filter((n) => n.startsWith('.rollback'))).toEqual([]);
    expect(kernel.store.latestEvents(null, 20).map((e) => e.type)).toContain('snapshot.rollback.undone');
  });

  it('removes at boot the staging folder of a restore a crash cut short, never one a restore still uses', async () => {
    await kernel.close();
    // a restore killed while it built the home: a staging folder, a read-only folder in it
    const stale = join(kernel.layout.homes, '.restore-0123456789abcdef');
    await fsp.mkdir(join(stale, 'Documents', 'locked'), { recursive: true });
    await fsp.writeFile(join(stale, 'Documents', 'locked', 'file.txt'), 'half restored');
    await fsp.chmod(join(stale, 'Documents', 'locked'), 0o500);
    const notOurs = join(kernel.layout.homes, '.restore-notes'); // not a name a restore gives
    await fsp.mkdir(notOurs);
    await open();
    const left = await fsp.readdir(kernel.layout.homes);
    expect(left).not.toContain('.restore-0123456789abcdef');
    expect(left).toContain('.restore-notes');
    await fsp.rm(notOurs, { recursive: true });

    // one a restore under way owns is left alone
    const live = stagingFor(kernel.layout.homes, 'fedcba9876543210');
    await fsp.mkdir(live);
    expect(await sweepStaging(kernel.layout.homes, new Set([live]))).toEqual([]);
    expect(await sweepStaging(kernel.layout.homes, new Set())).toEqual(['.restore-fedcba9876543210']);
  });
});
