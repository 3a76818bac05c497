import { monitorEventLoopDelay } from 'node:perf_hooks';
import { LoopControl } from '../kernel/index.js';
import { AgentLoop } from '../runtime/AgentLoop.js';
import { ScriptedProvider, type ScriptedReply } from '../runtime/llm/scripted.js';
import { coreTools } from '../runtime/tools/index.js';
import { FakeHost } from '../runtime/tools/testing/FakeHost.js';
import { summarize } from './lib/stats.js';
import { elapsedNs, now, nsToMs } from './lib/time.js';
import type { BenchResult } from './lib/types.js';

export const name = 'agent runtime: 200 concurrent agents, 50 steps each, with a scripted provider';

const AGENTS = 200;
const STEPS = 50;

/** 49 tool steps (writing files and thinking, as agents do) and a 50th that completes. */
function script(agent: number): (request: unknown, turn: number) => ScriptedReply {
  return (_request, turn) => {
    if (turn >= STEPS - 1) return { toolCalls: [{ name: 'complete', args: { summary: 'done' } }] };
    return turn % 2 === 0
      ? {
          text: 'writing',
          toolCalls: [{ name: 'write_file', args: { path: `notes/${turn}.md`, content: `agent ${agent}` } }],
        }
      : {
          text: 'thinking',
          toolCalls: [{ name: 'think', args: { thought: `step ${turn} of agent ${agent}` } }],
        };
  };
}

/** Runs one agent; returns the time of each model call (the step boundaries), in ms. */
async function runAgent(agent: number, stamps?: number[]): Promise<void> {
  const provider = new ScriptedProvider(script(agent));
  const chat = provider.chat.bind(provider);
  provider.chat = (request) => {
    stamps?.push(performance.now());
    return chat(request);
  };
  const result = await new AgentLoop({
    goal: 'bench',
    provider,
    tools: coreTools(),
    host: new FakeHost(agent),
    control: new LoopControl(),
    budgets: { maxSteps: STEPS + 5, maxDurationMs: 600_000, maxTokens: 10_000_000 },
  }).run();
  if (result.outcome !== 'completed')
    throw new Error(`agent ${agent} ended ${result.outcome}: ${result.reason}`);
}

export async function run(): Promise<BenchResult> {
  // per-step overhead, alone: the time between one model call and the next is the runtime's own work
  await runAgent(0); // warm up the JIT
  const stamps: number[] = [];
  await runAgent(1, stamps);
  const steps = new Float64Array(stamps.length - 1);
  for (let i = 1; i < stamps.length; i++) steps[i - 1] = stamps[i]! - stamps[i - 1]!;
  const step = summarize(steps);

  // 200 at once: how long the event loop waits meanwhile (a UI or the bridge shares it in the real kernel)
  const lag = monitorEventLoopDelay({ resolution: 5 });
  const cpuBefore = process.cpuUsage();
  const start = now();
  lag.enable();
  await Promise.all(Array.from({ length: AGENTS }, (_, i) => runAgent(i + 10)));
  lag.disable();
  const wallMs = nsToMs(elapsedNs(start));
  const cpu = process.cpuUsage(cpuBefore);
  const cpuPerStepMs = (cpu.user + cpu.system) / 1000 / (AGENTS * STEPS);
  return {
    metrics: [
      { name: 'event-loop lag p99, 200 agents', value: lag.percentile(99) / 1e6, unit: 'ms', aimAtMost: 50 },
      { name: 'event-loop lag max', value: lag.max / 1e6, unit: 'ms' },
      { name: 'runtime overhead per step p50', value: step.p50, unit: 'ms', aimAtMost: 1 },
      { name: 'runtime overhead per step p99', value: step.p99, unit: 'ms' },
      { name: 'CPU per step, 200 agents', value: cpuPerStepMs, unit: 'ms' },
      { name: 'steps per second, 200 agents', value: (AGENTS * STEPS) / (wallMs / 1000), unit: '/s' },
    ],
    notes: [
      `${AGENTS} agents x ${STEPS} steps, all at once in one process; model time is zero (a scripted provider)`,
      'each step: a model call answered from the script, the tool run (write_file on an in-memory home, or think),',
      'its events and the conversation; overhead per step is measured on one agent alone (no interleaving)',
    ],
  };
}
