import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Kernel, parseManifest, type Manifest } from '../../kernel/index.js';
import type { AgentEvent } from '../../shared/protocol/index.js';
import { tempDir, waitFor } from '../../test/helpers.js';
import { AgentSupervisor } from './AgentSupervisor.js';
import { recordAgentEvents } from '../testing/agentEvents.js';

// Restore and fork of agents with a goal: the offline planner's loop, the supervisor, real host sandboxes.
describe('restored and forked agents go on with their run', () => {
  const dir = tempDir('habitat-restore-run-');
  let kernel: Kernel | undefined;
  let agents: AgentSupervisor | undefined;
  afterEach(async () => {
    await agents?.close();
    await kernel?.close();
    dir.cleanup();
  });

  // steps: 1 write a.txt, 2 write b.txt, 3 mkdir scratch, 4 append to a.txt, 5 rm -r scratch (waits for a person)
  const GOAL =
    'write "one" to a.txt, then write "two" to b.txt, then make a folder called scratch, then append "three" to ' +
    'a.txt, then delete scratch/';

  const events = (pid: number) => recordAgentEvents(kernel!, pid);
  const conversation = (pid: number) => kernel!.store.messages(pid).map((m) => m.message);
  const manifest = async (hash: string) =>
    parseManifest(await kernel!.snapshots.store.readVerified(hash, 1 << 26));
  const conversationOf = (m: Manifest) => m.agent?.conversation ?? [];
  const ended = (pid: number) =>
    waitFor(() => kernel!.processes.get(pid).state === 'zombie', 30_000, `process ${pid} to end`);

  it('a snapshot taken mid-run restores to a new PID whose run goes on to completion; one of an ended run comes back idle', async () => {
    kernel = await Kernel.open({
      dataDir: dir.path,
      mode: 'headless',
      version: 'test',
      warmPool: { size: 0 },
    });
    agents = new AgentSupervisor(kernel, { env: {} });
    const seen = new Map<number, AgentEvent[]>();
    kernel.events.on('process.spawned', (info) => {
      const pid = (info as { pid: number }).pid;
      seen.set(pid, events(pid));
    });
    const original = await agents.spawn({ network: false, goal: GOAL, checkpoints: { keep: 20 } }, {});
    await waitFor(() => agents!.approvals(original.pid).length === 1, 20_000, 'the approval of rm -r');
    await kernel.snapshots.settled();
    const taken = (await kernel.snapshots.list({ pid: original.pid })).snapshots;
    expect(taken.map((s) => s.step)).toEqual([1, 2, 3, 4]);

    // the checkpoint after step 2, taken mid-run at a step boundary: a new PID goes on with steps 3 to 5
    const atStep2 = taken[1]!;
    const saved = conversationOf(await manifest(atStep2.manifest));
    const restored = await kernel.snapshots.restore(atStep2.id, { name: 'restored' });
    const copy = restored.process.pid;
    expect(copy).not.toBe(original.pid);
    expect(agents.isRunning(copy)).toBe(true);
    await waitFor(() => agents!.approvals(copy).length === 1, 20_000, 'the restored run at step 5');
    expect(conversation(copy).slice(0, saved.length)).toEqual(saved); // its conversation kept, then grown
    agents.approve(copy);
    await ended(copy);
    expect(kernel.processes.get(copy)).toMatchObject({ phase: 'completed', exitCode: 0 });
    const home = kernel.processes.home(copy);
    expect(await fsp.readFile(join(home, 'a.txt'), 'utf8')).toBe('one\nthree\n');
    await expect(fsp.stat(join(home, 'scratch'))).rejects.toThrow();
    const run = seen.get(copy)!;
    expect(run[0]).toMatchObject({
      type: 'warning',
      message: `restored from snapshot ${atStep2.id} at step 2`,
    });
    const tools = run.filter((e) => e.type === 'tool.result').map((e) => (e as { tool: string }).tool);
    expect(tools).toEqual(['mkdir', 'write_file', 'run_command', 'complete']);
    // steps counted on from the snapshot's, not from 0
    expect(run.find((e) => e.type === 'end')).toMatchObject({ outcome: 'completed', steps: 6 });
    // its run settings are in its record, as a spawn's are: a kernel restart resumes it too
    expect(kernel.processes.record(copy).config.agent).toEqual({
      provider: 'heuristic',
      approvalPolicy: 'dangerous',
    });

    // taken mid-step (the loop waits for a person): the restored run goes on, the cut-off call answered as such
    const midStep = await kernel.snapshots.create(original.pid, { waitMs: 200 });
    expect(midStep).toMatchObject({ agentState: true, quiesced: false });
    const cut = (await kernel.snapshots.restore(midStep.id, { name: 'cut' })).process.pid;
    await ended(cut);
    expect(JSON.stringify(conversation(cut))).toContain('interrupted');
    expect(seen.get(cut)![0]).toMatchObject({ message: `restored from snapshot ${midStep.id} at step 5` });
    expect(seen.get(cut)!.find((e) => e.type === 'end')).toMatchObject({ steps: 6 });

    // a fork goes on the same way, while the original keeps waiting for its person
    const fork = await kernel.snapshots.fork(original.pid, { waitMs: 200 });
    expect(agents.isRunning(fork.process.pid)).toBe(true);
    expect(agents.approvals(original.pid)).toHaveLength(1);
    await ended(fork.process.pid);

    // a run that had ended comes back idle, with its conversation
    agents.approve(original.pid);
    await ended(original.pid);
    expect(kernel.processes.get(original.pid)).toMatchObject({ phase: 'completed' });
    const done = await kernel.snapshots.create(original.pid);
    const idle = (await kernel.snapshots.restore(done.id, { name: 'idle' })).process.pid;
    expect(agents.isRunning(idle)).toBe(false);
    expect(kernel.processes.get(idle)).toMatchObject({ state: 'running' });
    expect(conversation(idle)).toEqual(conversation(original.pid));
    expect(seen.get(idle)).toEqual([]);
  }, 90_000);
});
