import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { Kernel } from '../../kernel/index.js';
import { dockerForTests } from '../../test/docker.js';
import { tempDir, waitFor } from '../../test/helpers.js';
import {
  GEMINI_STREAM_PATH,
  geminiCall,
  geminiDone,
  geminiStream,
  ScriptedServer,
} from '../llm/testing/index.js';
import { recordAgentEvents } from '../testing/agentEvents.js';
import { AgentSupervisor } from './AgentSupervisor.js';

// A container agent outlives a kernel that dies mid-run; the next kernel re-attaches it and its run resumes.
const docker = await dockerForTests('agent runs across a kernel restart');

describe.skipIf(!docker)('agent runs across a kernel restart', () => {
  const dir = tempDir('habitat-agent-restart-');
  const budgetDir = tempDir('habitat-agent-restart-budget-');
  const kernels: Kernel[] = [];
  let gemini: ScriptedServer;
  const open = async (dataDir = dir.path): Promise<Kernel> => {
    const kernel = await Kernel.open({
      dataDir,
      mode: 'headless',
      version: 'test',
      termGraceMs: 1000,
      warmPool: { size: 0 },
    });
    kernels.push(kernel);
    return kernel;
  };
  afterAll(async () => {
    for (const kernel of kernels) await kernel.close().catch(() => {});
    await gemini?.close();
    dir.cleanup();
    budgetDir.cleanup();
  });

  it('resumes from the saved conversation: the cut-off call is answered as interrupted, then the run completes', async () => {
    gemini = await ScriptedServer.start();
    const env = { GEMINI_API_KEY: 'k', GEMINI_BASE_URL: gemini.url };
    gemini.on(
      GEMINI_STREAM_PATH,
      geminiStream([geminiCall('run_command', { command: 'rm -rf build' }), geminiDone()]),
      geminiStream([geminiCall('run_command', { command: 'echo still-$((6*7))' }), geminiDone()]),
      geminiStream([geminiCall('complete', { summary: 'checked, nothing to remove' }), geminiDone()]),
    );
    const first = await open();
    const before = new AgentSupervisor(first, { env });
    const agent = await before.spawn(
      { sandbox: 'docker', network: false, goal: 'clean the build folder' },
      { provider: 'gemini' },
    );
    await waitFor(() => before.approvals(agent.pid).length === 1, 30_000, 'the approval request');
    expect(first.processes.get(agent.pid).phase).toBe('waiting');

    // the kernel dies (as after SIGKILL): nothing more reaches its database, its container keeps running
    first.store.close();
    kernels.splice(kernels.indexOf(first), 1);
    await before.close(); // what the dead kernel's loop would have lost anyway: it writes nowhere now

    // (the dead kernel's terminals are left alone: closing them would have it kill the container it lost)
    const second = await open();
    const after = new AgentSupervisor(second, { env });
    const results: unknown[] = [];
    second.events.on(`agent.event.${agent.pid}`, (event) => {
      if ((event as { type: string }).type === 'tool.result') results.push(event);
    });
    expect(second.processes.get(agent.pid)).toMatchObject({ state: 'running', phase: 'waiting' });
    expect(after.recover()).toEqual([agent.pid]);
    await waitFor(() => second.processes.get(agent.pid).state === 'zombie', 30_000, 'the resumed run to end');

    expect(second.processes.get(agent.pid)).toMatchObject({ phase: 'completed', exitCode: 0 });
    expect(gemini.requests).toHaveLength(3);
    const resumed = JSON.stringify(gemini.requests[1]!.body);
    expect(resumed).toContain('clean the build folder'); // the goal and first turn came from the store
    expect(resumed).toContain('interrupted: the agent was restarted before this call finished');
    // the resumed run works in the re-attached container
    expect(results).toMatchObject([
      { tool: 'run_command', ok: true, output: expect.stringContaining('still-42') },
      { tool: 'complete' },
    ]);
    const log = second.store.latestEvents(agent.pid, 200).map((e) => e.type);
    expect(log).toContain('agent.warning');
    expect(log.at(-1)).toBe('process.exited');
    await after.close();

    // the agent's container went with its run, even though the kernel closed right after (the dead kernel's own
    // stream to it may still be removing it: a removal in progress is given a few seconds)
    const instance = second.store.instanceId();
    await second.close();
    kernels.splice(kernels.indexOf(second), 1);
    const left = () =>
      docker!.listContainers({ all: true, filters: { label: [`dev.habitat.instance=${instance}`] } });
    for (let tries = 0; (await left()).length > 0 && tries < 50; tries++) await sleep(100);
    expect(await left()).toEqual([]);
  });

  it('counts its budgets on: steps, tokens and time used before the restart stay used, and step numbers go on', async () => {
    await gemini?.close();
    gemini = await ScriptedServer.start();
    const env = { GEMINI_API_KEY: 'k', GEMINI_BASE_URL: gemini.url };
    gemini.on(
      GEMINI_STREAM_PATH,
      geminiStream([geminiCall('run_command', { command: 'rm -rf build' }), geminiDone(100, 7)]),
      geminiStream([geminiCall('run_command', { command: 'echo second' }), geminiDone(200, 9)]),
      // a third turn must never be asked for: the step budget is 2
      geminiStream([geminiCall('complete', { summary: 'done' }), geminiDone()]),
    );
    const first = await open(budgetDir.path);
    const before = new AgentSupervisor(first, { env });
    const agent = await before.spawn(
      { sandbox: 'docker', network: false, goal: 'clean the build folder', checkpoints: { keep: 20 } },
      { provider: 'gemini', maxSteps: 2 },
    );
    const { pid } = agent;
    await waitFor(() => before.approvals(pid).length === 1, 30_000, 'the approval request');
    await sleep(60); // the step's events reach the log (batched every few ms)

    first.store.close(); // the kernel dies mid-step 1
    kernels.splice(kernels.indexOf(first), 1);
    await before.close();

    const second = await open(budgetDir.path);
    const after = new AgentSupervisor(second, { env });
    const seen = recordAgentEvents(second, pid);
    expect(after.recover()).toEqual([pid]);
    await waitFor(() => second.processes.get(pid).state === 'zombie', 30_000, 'the resumed run to end');

    // step 1 was under way: the resumed run does step 2 only, then its step budget is spent
    expect(gemini.requests).toHaveLength(2);
    expect(second.processes.get(pid)).toMatchObject({
      phase: 'failed',
      exitCode: 1,
      exitReason: 'the step budget (2 steps) ran out before the goal was done',
    });
    expect(seen[0]).toMatchObject({
      type: 'warning',
      step: 1,
      message: expect.stringMatching(/^resumed after a kernel restart .* after step 1$/),
    });
    expect(seen.filter((e) => e.type === 'phase').map((e) => [e.step, e.phase])).toEqual([
      [1, 'booting'],
      [2, 'thinking'],
      [2, 'executing'],
      [2, 'observing'],
      [2, 'failed'],
    ]);
    // the tokens of the turn before the restart count: usage totals and the run's end include them
    expect(seen.find((e) => e.type === 'usage')).toMatchObject({
      step: 2,
      inputTokens: 200,
      outputTokens: 9,
      totalInput: 300,
      totalOutput: 16,
    });
    const end = seen.find((e) => e.type === 'end');
    expect(end).toMatchObject({ steps: 2, tokens: { input: 300, output: 16 } });
    // and so does the time it ran before the restart (from its booting to its last logged event)
    const log = second.store.latestEvents(pid, 500);
    const firstRun = log.filter(
      (e) => e.type.startsWith('agent.') && e.seq < log.find((r) => r.type === 'agent.warning')!.seq,
    );
    const ranBefore = firstRun.at(-1)!.at - firstRun.find((e) => e.type === 'agent.phase')!.at;
    expect(end && end.type === 'end' && end.durationMs).toBeGreaterThanOrEqual(ranBefore);
    // its checkpoints count on too: one after step 2, none numbered from 1 again
    await second.snapshots.settled();
    const checkpoints = (await second.snapshots.list({ pid })).snapshots.filter(
      (s) => s.kind === 'checkpoint',
    );
    expect(checkpoints.map((c) => c.step)).toEqual([2]);
    await after.close();
    await second.close();
    kernels.splice(kernels.indexOf(second), 1);
  }, 90_000);
});
