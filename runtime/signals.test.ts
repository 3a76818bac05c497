import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentLoop } from './AgentLoop.js';
import type { AgentEvent } from './events.js';
import { HeuristicProvider } from './llm/heuristic.js';
import { ScriptedProvider } from './llm/scripted.js';
import { abortableSleep } from './llm/retry.js';
import type { ChatRequest, Provider } from './llm/types.js';
import { KernelAgents } from './testing/kernelAgent.js';
import { coreTools } from './tools/index.js';
import type { AgentHost } from './tools/types.js';
import type { Kernel } from '../kernel/index.js';

/** The planner with some model time per turn, so signals land mid-run. */
function slowed(inner: Provider, ms: number): Provider & { calls: number } {
  const provider = {
    name: inner.name,
    model: inner.model,
    supportsImages: inner.supportsImages,
    calls: 0,
    async chat(request: ChatRequest) {
      provider.calls++;
      await abortableSleep(ms, request.signal);
      return inner.chat(request);
    },
  };
  return provider;
}

/** Runs a loop with the core tools on a kernel agent, its events gathered in `events`. */
function runLoop(
  agent: { kernel: Kernel; pid: number; host: AgentHost },
  goal: string,
  provider: Provider,
  events?: AgentEvent[],
) {
  return new AgentLoop({
    goal,
    provider,
    tools: coreTools(),
    host: agent.host,
    control: agent.kernel.processes.control(agent.pid),
    ...(events ? { sink: (e: AgentEvent) => events.push(e) } : {}),
  }).run();
}

/** Processes whose command line contains a marker, found through /proc: they may be in any process group. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').includes(marker))
        found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** A process's command name, from /proc; undefined once it is gone. */
function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

async function waitFor(
  check: () => boolean | Promise<boolean>,
  ms = 5000,
  what = 'condition',
): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Kernel signals reaching a running agent loop: the process table's LoopControl, real sandboxes. */
describe('signals on a real kernel agent', () => {
  const agents = new KernelAgents();
  afterAll(() => agents.close());

  it('STOP leaves the agent stopped between steps with no tool running; CONT resumes it to completion', async () => {
    const agent = await agents.spawn();
    const { kernel, pid, host } = agent;
    const exists = (path: string) =>
      kernel
        .fs(pid)
        .stat(path)
        .then(
          () => true,
          () => false,
        );
    const provider = slowed(new HeuristicProvider(), 100);
    const events: AgentEvent[] = [];
    const run = runLoop(
      { kernel, pid, host },
      'run `touch a`, then run `touch b`, then run `touch c`',
      provider,
      events,
    );

    // its result, not just its file: a STOP between the two would hold the command's exit back
    await waitFor(() => events.some((e) => e.type === 'tool.result'), 5000, 'the first step');
    await kernel.processes.signal(pid, 'STOP');
    expect(kernel.processes.get(pid).state).toBe('stopped');
    await new Promise((r) => setTimeout(r, 500));
    const ranWhileStopped = events.filter((e) => e.type === 'tool.result').length;
    expect(await exists('b')).toBe(false);
    expect(await exists('c')).toBe(false);
    expect(ranWhileStopped).toBe(1);

    await kernel.processes.signal(pid, 'CONT');
    const result = await run;
    expect(result.outcome).toBe('completed');
    expect(await exists('b')).toBe(true);
    expect(await exists('c')).toBe(true);
  });

  it('KILL ends the run at once, and the command it was running with it', async () => {
    const agent = await agents.spawn();
    const { kernel, pid, host } = agent;
    const marker = `sleep 31.${pid}${Date.now() % 1000}`;
    const run = runLoop({ kernel, pid, host }, `run \`${marker}\``, new HeuristicProvider());
    await waitFor(() => processesWith(marker).length > 0, 5000, 'the command to start');
    const started = Date.now();
    await kernel.processes.signal(pid, 'KILL');
    expect(await run).toMatchObject({ outcome: 'killed' });
    expect(Date.now() - started).toBeLessThan(2000);
    await waitFor(() => processesWith(marker).length === 0, 5000, 'the command to end');
    await waitFor(() => kernel.processes.get(pid).state === 'zombie', 5000, 'the agent to end');
  });

  it('TERM ends the run after the current step', async () => {
    const agent = await agents.spawn();
    const { kernel, pid, host } = agent;
    const provider = slowed(new HeuristicProvider(), 150);
    const events: AgentEvent[] = [];
    const run = runLoop({ kernel, pid, host }, 'run `echo one`, then run `echo two`', provider, events);
    await waitFor(() => events.some((e) => e.type === 'phase' && e.phase === 'thinking'), 5000, 'thinking');
    await kernel.processes.signal(pid, 'TERM');
    const result = await run;
    // the sandbox outlives the TERM (bubblewrap passes it to what it runs), so the step in flight finishes in it
    expect(result.outcome).toBe('terminated');
    expect(provider.calls).toBe(1);
    const results = events.filter((e) => e.type === 'tool.result');
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ ok: true, output: expect.stringContaining('one') });
  });

  for (const input of [false, true]) {
    it(`time spent stopped does not count against a command's timeout (${input ? 'exec with input' : 'on a terminal'})`, async () => {
      const { kernel, pid, host } = await agents.spawn();
      const events: AgentEvent[] = [];
      const provider = new ScriptedProvider([
        {
          toolCalls: [
            {
              name: 'run_command',
              args: {
                command: 'sleep 1; echo finished',
                timeout_seconds: 2,
                ...(input ? { input: '' } : {}),
              },
            },
          ],
        },
        { toolCalls: [{ name: 'complete', args: { summary: 'ok', success: true } }] },
      ]);
      const run = runLoop({ kernel, pid, host }, 'g', provider, events);
      await waitFor(() => events.some((e) => e.type === 'tool.call'), 5000, 'the command to start');
      await new Promise((r) => setTimeout(r, 300));
      await kernel.processes.signal(pid, 'STOP');
      await new Promise((r) => setTimeout(r, 2500)); // longer than the whole timeout
      await kernel.processes.signal(pid, 'CONT');
      expect(await run).toMatchObject({ outcome: 'completed' });
      const result = events.find((e) => e.type === 'tool.result');
      expect(result).toMatchObject({ output: expect.stringContaining('finished') });
      expect(result).not.toMatchObject({ output: expect.stringContaining('timed out') });
    });
  }

  it('INT ends the command that runs, not the agent', async () => {
    const agent = await agents.spawn();
    const { kernel, pid, host } = agent;
    const marker = `sleep 32.${pid}${Date.now() % 1000}`;
    const events: AgentEvent[] = [];
    const run = runLoop(
      { kernel, pid, host },
      `run \`${marker}\`, then run \`echo after\``,
      new HeuristicProvider(),
      events,
    );
    // the command itself, not just bubblewrap's command line naming it
    await waitFor(() => processesWith(marker).some((osPid) => commandOf(osPid) === 'sleep'), 5000, 'sleep');
    await kernel.processes.signal(pid, 'INT');
    const result = await run;
    expect(result.outcome).toBe('completed');
    const outputs = events.flatMap((e) => (e.type === 'tool.result' ? [e.output] : []));
    expect(outputs.some((output) => output.includes('after'))).toBe(true);
    expect(kernel.processes.get(pid).state).toBe('running');
    expect(processesWith(marker)).toEqual([]);
  });
});
