import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotProgress } from '../../shared/protocol/index.js';
import { tempDir } from '../../test/helpers.js';
import { Kernel } from '../Kernel.js';
import type { AgentState } from './index.js';
import { digestTree, populateMixedHome } from './testing/trees.js';

// Snapshots of host agents through the whole kernel: real homes, real processes, the real store on disk.
describe('snapshots of host agents', () => {
  const dir = tempDir('habitat-snap-');
  let kernel: Kernel;
  const progress: SnapshotProgress[] = [];
  /** A stand-in for the runtime: what it would keep of each agent's loop. */
  const states = new Map<number, AgentState>();

  beforeAll(async () => {
    kernel = await Kernel.open({ dataDir: dir.path, mode: 'headless', version: 'test', termGraceMs: 500 });
    kernel.events.on('snapshot.progress', (p) => progress.push(p as SnapshotProgress));
    kernel.snapshots.setAgentStateProvider({
      capture: (pid) => states.get(pid),
      restore: (pid, state) => void states.set(pid, state),
    });
  });
  afterAll(async () => {
    await kernel.close();
    dir.cleanup();
  });

  const homeOf = (pid: number) => kernel.processes.home(pid);
  const leftovers = async () =>
    (await fsp.readdir(kernel.layout.homes)).filter((n) => n.startsWith('.restore'));

  it('restores a new agent (new PID) with byte-identical files, its configuration, conversation and mailbox', async () => {
    const original = await kernel.processes.spawn({
      name: 'writer',
      role: 'author',
      goal: 'write things',
      network: false,
      limits: { openFiles: 512, cpuSeconds: 600 },
    });
    await populateMixedHome(homeOf(original.pid));
    states.set(original.pid, {
      loop: { step: 7 },
      conversation: [{ role: 'user', content: 'write things' }],
    });
    kernel.mailboxes.send({ to: original.pid, body: 'read me later', subject: 'todo' });

    const info = await kernel.snapshots.create(original.pid, { label: 'before' });
    expect(info).toMatchObject({
      pid: original.pid,
      label: 'before',
      sandbox: 'host',
      agentState: true,
      messages: 1,
    });
    expect(info.skipped).toBe(3); // two symlinks that lead out, one FIFO
    expect(info.files).toBeGreaterThanOrEqual(8);
    expect(progress.some((p) => p.op === 'create' && p.phase === 'done' && p.snapshot === info.id)).toBe(
      true,
    );
    // the agent runs on after the capture
    expect(kernel.processes.get(original.pid).state).toBe('running');
    expect(
      (await kernel.processes.exec(original.pid, ['true'], { timeoutMs: 5000, maxOutputBytes: 100 }))
        .exitCode,
    ).toBe(0);

    const restored = await kernel.snapshots.restore(info.id);
    const pid = restored.process.pid;
    expect(pid).not.toBe(original.pid);
    expect(restored.process).toMatchObject({
      name: 'writer',
      role: 'author',
      goal: 'write things',
      state: 'running',
    });
    const record = kernel.processes.record(pid);
    expect(record.config).toMatchObject({ network: false, limits: { openFiles: 512, cpuSeconds: 600 } });
    expect(record.sandbox.kind).toBe('host');

    const outside = (p: string) => ['link-out', 'link-abs-out', 'pipe'].includes(p);
    const before = await digestTree(homeOf(original.pid), outside);
    const after = await digestTree(homeOf(pid));
    expect(after).toEqual(before);
    expect(after.get('link-to-notes')).toEqual({ type: 'symlink', target: 'Documents/notes.txt' });
    expect(after.get('Desktop/run.sh')?.mode).toBe(0o755);
    expect(after.get('frozen')?.mode).toBe(0o555);
    await expect(fsp.lstat(join(homeOf(pid), 'link-out'))).rejects.toThrow();

    expect(states.get(pid)).toEqual(states.get(original.pid));
    const mail = kernel.mailboxes.check(pid);
    expect(mail.messages.map((m) => [m.subject, m.body])).toEqual([['todo', 'read me later']]);
    // the restored agent works: its shell and sandbox see the files
    const cat = await kernel.processes.exec(pid, ['cat', 'Documents/notes.txt'], {
      timeoutMs: 5000,
      maxOutputBytes: 1 << 20,
    });
    expect(cat.stdout).toContain('hello snapshots');
    expect(await leftovers()).toEqual([]);
  });

  it('forks a running agent: the copy has its files, the original keeps running', async () => {
    const original = await kernel.processes.spawn({ name: 'busy', network: false });
    await fsp.writeFile(join(homeOf(original.pid), 'Documents/state.json'), '{"n":1}');
    await kernel.processes.exec(original.pid, ['sh', '-c', 'sleep 60 >/dev/null 2>&1 &'], {
      timeoutMs: 5000,
      maxOutputBytes: 100,
    });
    const fork = await kernel.snapshots.fork(original.pid);
    expect(fork.process.pid).not.toBe(original.pid);
    expect(fork.process.name).toBe('busy-fork');
    expect(fork.info.label).toBe(`fork of ${original.pid}`);
    expect(kernel.processes.get(original.pid).state).toBe('running');
    const after = await kernel.processes.exec(original.pid, ['cat', 'Documents/state.json'], {
      timeoutMs: 5000,
      maxOutputBytes: 100,
    });
    expect(after.stdout).toBe('{"n":1}');
    expect(await digestTree(homeOf(fork.process.pid))).toEqual(await digestTree(homeOf(original.pid)));
  });

  it('stores a second snapshot of an unchanged home in almost no new bytes, and only what changed after that', async () => {
    const agent = await kernel.processes.spawn({ network: false });
    const home = homeOf(agent.pid);
    for (let i = 0; i < 200; i++) {
      await fsp.writeFile(join(home, 'Documents', `f${i}.txt`), `file ${i}\n`.repeat(500 + i));
    }
    const first = await kernel.snapshots.create(agent.pid);
    const second = await kernel.snapshots.create(agent.pid);
    await fsp.writeFile(join(home, 'Documents/f7.txt'), 'changed\n'.repeat(1000));
    const third = await kernel.snapshots.create(agent.pid);
    console.log(
      `[dedup] home ${first.bytes} bytes in ${first.files} files: first snapshot stored ${first.storedBytes} bytes, ` +
        `second (unchanged) ${second.storedBytes}, third (one file changed) ${third.storedBytes}`,
    );
    expect(first.storedBytes).toBeGreaterThan(first.bytes * 0.9);
    expect(second.storedBytes).toBeLessThan(64 * 1024); // the manifest, nothing else
    expect(third.storedBytes).toBeLessThan(8000 + 64 * 1024);
    expect(second.bytes).toBe(first.bytes);
  });

  it('lists and deletes snapshots; deleting frees the objects no other snapshot uses', async () => {
    const agent = await kernel.processes.spawn({ network: false });
    await fsp.writeFile(join(homeOf(agent.pid), 'Documents/only-here.bin'), Buffer.alloc(300_000, 7));
    const info = await kernel.snapshots.create(agent.pid);
    const listed = await kernel.snapshots.list({ pid: agent.pid });
    expect(listed.snapshots.map((s) => s.id)).toEqual([info.id]);
    const { freedBytes } = await kernel.snapshots.delete(info.id);
    expect(freedBytes).toBeGreaterThanOrEqual(300_000);
    expect((await kernel.snapshots.list({ pid: agent.pid })).snapshots).toEqual([]);
    await expect(kernel.snapshots.restore(info.id)).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('refuses to restore from a damaged store object and leaves nothing half-restored', async () => {
    const agent = await kernel.processes.spawn({ network: false });
    await fsp.writeFile(join(homeOf(agent.pid), 'Documents/precious.txt'), 'unique content 1234567');
    const info = await kernel.snapshots.create(agent.pid);
    const objects = kernel.snapshots.store;
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update('unique content 1234567').digest('hex');
    const path = objects.path(hash);
    await fsp.chmod(path, 0o600);
    await fsp.writeFile(path, 'unique content 1234568'); // one byte flipped
    const before = kernel.processes.list().length;
    await expect(kernel.snapshots.restore(info.id)).rejects.toMatchObject({
      code: 'E_INVALID',
      message: expect.stringMatching(/damaged.*precious\.txt.*checksum/),
    });
    expect(kernel.processes.list().length).toBe(before); // no agent was started
    expect(await leftovers()).toEqual([]);
    await fsp.rm(path);
    await expect(kernel.snapshots.restore(info.id)).rejects.toMatchObject({ message: /missing/ });
    expect(await leftovers()).toEqual([]);
  });

  it('holds the agent still while it reads its home, then lets it go on', async () => {
    const agent = await kernel.processes.spawn({ network: false });
    const control = kernel.processes.control(agent.pid);
    // a loop in the middle of a step: the snapshot waits for its next pause point
    let released = false;
    void control.pausePoint().then(async () => {
      await new Promise((r) => setTimeout(r, 300));
      released = true;
      await control.pausePoint(); // the step boundary, where it stays while the snapshot reads
    });
    await new Promise((r) => setTimeout(r, 20));
    const info = await kernel.snapshots.create(agent.pid, { waitMs: 5000 });
    expect(released).toBe(true);
    expect(info.quiesced).toBe(true);
    expect(control.isPaused).toBe(false); // resumed
    const log = kernel.store.latestEvents(agent.pid, 50).map((e) => e.type);
    expect(log).toEqual(expect.arrayContaining(['process.frozen', 'process.thawed']));

    // a loop stuck mid-step is captured after waitMs, and the snapshot says so
    const stuck = await kernel.processes.spawn({ network: false });
    await kernel.processes.control(stuck.pid).pausePoint();
    const late = await kernel.snapshots.create(stuck.pid, { waitMs: 100 });
    expect(late.quiesced).toBe(false);
  });
});
