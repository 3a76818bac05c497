import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kernel } from '../kernel/index.js';
import { listProcesses } from '../kernel/os/index.js';
import { summarize } from './lib/stats.js';
import { elapsedNs, now, nsToMs } from './lib/time.js';
import { slowdown, type BenchResult } from './lib/types.js';

export const name = 'signals and kernel shutdown with 200 agents';

const AGENTS = 200;
const ROUNDS = 10;
/** Long enough for every shell to have started (bubblewrap, bash): what is measured is a settled system. */
const SETTLE_MS = 2_000;

interface Figures {
  /** STOP then CONT to one agent, each from the call to its answer (the OS processes stopped or running again). */
  signalMs: Float64Array;
  /** kernel.close(): every agent's processes ended, its terminal closed, the store shut. */
  closeMs: number;
  /** How long one walk of /proc takes meanwhile: what a signal to a process tree has to read. */
  walkMs: number;
  osProcesses: number;
}

async function measure(agents: number): Promise<Figures> {
  const dataDir = await mkdtemp(join(tmpdir(), 'habitat-bench-'));
  const kernel = await Kernel.open({ dataDir, mode: 'headless', version: 'bench' });
  let closed = false;
  try {
    const pids: number[] = [];
    for (let i = 0; i < agents; i += 10) {
      const batch = Array.from({ length: Math.min(10, agents - i) }, () =>
        kernel.processes.spawn({ network: false }),
      );
      pids.push(...(await Promise.all(batch)).map((info) => info.pid));
    }
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const walkStart = now();
    const osProcesses = listProcesses().length;
    const walkMs = nsToMs(elapsedNs(walkStart));

    const signalMs = new Float64Array(ROUNDS * 2);
    for (let r = 0; r < ROUNDS; r++) {
      const pid = pids[r % pids.length]!;
      for (const [k, signal] of (['STOP', 'CONT'] as const).entries()) {
        const start = now();
        const info = await kernel.processes.signal(pid, signal);
        signalMs[r * 2 + k] = nsToMs(elapsedNs(start));
        const expected = signal === 'STOP' ? 'stopped' : 'running';
        if (info.state !== expected) throw new Error(`agent ${pid} is ${info.state} after ${signal}`);
      }
    }
    const closeStart = now();
    closed = true;
    await kernel.close();
    return { signalMs, closeMs: nsToMs(elapsedNs(closeStart)), walkMs, osProcesses };
  } finally {
    if (!closed) await kernel.close().catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult> {
  const one = await measure(1);
  const many = await measure(AGENTS);
  const manySignal = summarize(many.signalMs);
  const oneSignal = summarize(one.signalMs);
  return {
    reference: 'the same kernel with 1 agent',
    metrics: [
      {
        name: `STOP or CONT to one agent of ${AGENTS}, p50`,
        value: manySignal.p50,
        unit: 'ms',
        reference: oneSignal.p50,
        ratio: slowdown(manySignal.p50, oneSignal.p50, 'lower'),
      },
      {
        name: `STOP or CONT to one agent of ${AGENTS}, p99`,
        value: manySignal.p99,
        unit: 'ms',
        reference: oneSignal.p99,
        ratio: slowdown(manySignal.p99, oneSignal.p99, 'lower'),
      },
      {
        name: `kernel shutdown with ${AGENTS} agents`,
        value: many.closeMs,
        unit: 'ms',
        reference: one.closeMs,
        ratio: slowdown(many.closeMs, one.closeMs, 'lower'),
      },
      { name: `one walk of /proc with ${AGENTS} agents`, value: many.walkMs, unit: 'ms' },
    ],
    notes: [
      `${AGENTS} idle host-sandbox agents (a shell each), ${many.osProcesses} OS processes on the machine; ` +
        `${ROUNDS} STOP + CONT pairs to different agents`,
      'a signal walks /proc to find the agent’s whole process tree (its shell’s jobs included), and again until a ' +
        'walk finds nothing new; shutdown sends every agent’s KILL with the same walks for all',
    ],
  };
}
