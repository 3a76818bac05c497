import { afterEach, describe, expect, it } from 'vitest';
import type { ProcessInfo } from '../../shared/protocol/index.js';
import { tempDir, waitFor } from '../../test/helpers.js';
import { Kernel } from '../Kernel.js';
import { processTree } from '../os/index.js';

/** What the runtime drives through the process table: an agent's phase, its run settings, and its program ending. */
describe('process table: the runtime side', () => {
  const dirs: ReturnType<typeof tempDir>[] = [];
  const kernels: Kernel[] = [];
  async function open(): Promise<Kernel> {
    const dir = tempDir();
    dirs.push(dir);
    const kernel = await Kernel.open({
      dataDir: dir.path,
      mode: 'headless',
      version: 'test',
      termGraceMs: 500,
    });
    kernels.push(kernel);
    return kernel;
  }
  afterEach(async () => {
    for (const kernel of kernels.splice(0)) await kernel.close();
    for (const dir of dirs.splice(0)) dir.cleanup();
  });

  it('setPhase persists the phase and publishes process.changed, for live processes only', async () => {
    const kernel = await open();
    const agent = await kernel.processes.spawn({ network: false });
    const changes: ProcessInfo[] = [];
    kernel.events.on('process.changed', (info) => changes.push(info as ProcessInfo));

    expect(kernel.processes.setPhase(agent.pid, 'thinking').phase).toBe('thinking');
    expect(kernel.store.getProcess(agent.pid)?.phase).toBe('thinking');
    expect(changes.map((c) => [c.pid, c.phase])).toEqual([[agent.pid, 'thinking']]);
    kernel.processes.setPhase(agent.pid, 'thinking'); // no change, no event
    expect(changes).toHaveLength(1);

    expect(() => kernel.processes.setPhase(999, 'thinking')).toThrow(
      expect.objectContaining({ code: 'E_NOT_FOUND' }),
    );
    await kernel.processes.signal(agent.pid, 'KILL');
    await waitFor(() => kernel.processes.get(agent.pid).state === 'zombie', 5000, 'zombie');
    expect(() => kernel.processes.setPhase(agent.pid, 'executing')).toThrow(
      expect.objectContaining({ code: 'E_CONFLICT' }),
    );
    expect(kernel.processes.get(agent.pid).phase).toBe('failed');
  });

  it('keeps the run settings the runtime gives at spawn in the record’s config', async () => {
    const kernel = await open();
    const agent = await kernel.processes.spawn({
      network: false,
      goal: 'say hi',
      agent: { provider: 'heuristic', approvalPolicy: 'dangerous', maxSteps: 5 },
    });
    expect(kernel.store.getProcess(agent.pid)?.config.agent).toEqual({
      provider: 'heuristic',
      approvalPolicy: 'dangerous',
      maxSteps: 5,
    });
    const plain = await kernel.processes.spawn({ network: false });
    expect(kernel.store.getProcess(plain.pid)?.config).not.toHaveProperty('agent');
  });

  it('exit ends the agent like its program returning: sandbox gone, a zombie with its code, reason and phase', async () => {
    const kernel = await open();
    const agent = await kernel.processes.spawn({ network: false });
    const osPid = agent.sandbox.osPid!;
    await kernel.terminals.get(agent.terminal!).session.write('(trap "" TERM; sleep 300) &\n');
    await waitFor(() => processTree(osPid).some((m) => m.command === 'sleep'), 5000, 'the sleep job');

    const ended = kernel.processes.exit(agent.pid, {
      exitCode: 0,
      reason: 'the agent completed its goal',
      phase: 'completed',
    });
    expect(ended).toMatchObject({
      state: 'zombie',
      phase: 'completed',
      exitCode: 0,
      exitReason: 'the agent completed its goal',
      terminal: null,
    });
    await waitFor(() => processTree(osPid).length === 0, 5000, 'no process left');
    // the shell's death afterwards does not overwrite how the agent ended
    await new Promise((r) => setTimeout(r, 200));
    expect(kernel.processes.get(agent.pid)).toMatchObject({ phase: 'completed', exitCode: 0 });
    expect(kernel.store.getProcess(agent.pid)).toMatchObject({ state: 'zombie', phase: 'completed' });
    const log = kernel.store.latestEvents(agent.pid, 50).map((e) => e.type);
    expect(log).toContain('process.exited');
    expect(() => kernel.processes.exit(agent.pid, { exitCode: 1, reason: 'again', phase: 'failed' })).toThrow(
      expect.objectContaining({ code: 'E_CONFLICT' }),
    );
    expect(kernel.processes.reap(agent.pid).state).toBe('dead');
  });

  it('an agent that exits just before the kernel closes leaves nothing running: close waits for its teardown', async () => {
    const kernel = await open();
    const agent = await kernel.processes.spawn({ network: false });
    const osPid = agent.sandbox.osPid!;
    await kernel.terminals.get(agent.terminal!).session.write('(trap "" TERM; sleep 300) &\n');
    await waitFor(() => processTree(osPid).some((m) => m.command === 'sleep'), 5000, 'the sleep job');
    kernel.processes.exit(agent.pid, { exitCode: 1, reason: 'gave up', phase: 'failed' });
    await kernel.close();
    kernels.splice(kernels.indexOf(kernel), 1);
    expect(processTree(osPid)).toEqual([]);
  });

  it('log returns the seq of the entry it appended', async () => {
    const kernel = await open();
    const agent = await kernel.processes.spawn({ network: false });
    const seq = kernel.processes.log(agent.pid, 'agent.thought', { text: 'hm' });
    const last = kernel.store.latestEvents(agent.pid, 1)[0]!;
    expect(last).toMatchObject({ seq, type: 'agent.thought', payload: { text: 'hm' } });
  });
});
