import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kernel } from '../kernel/index.js';
import { AgentSupervisor } from '../runtime/index.js';
import type { AgentEvent, SnapshotInfo } from '../shared/protocol/index.js';
import { populateMixedHome } from './lib/mixedHome.js';
import { summarize } from './lib/stats.js';
import type { BenchResult } from './lib/types.js';

export const name = 'checkpoints: per-step overhead of an agent checkpointed after every step';

const STEPS = 20;
const HOME_BYTES = 4 * 1024 * 1024;
const ROUNDS = 3;
const run$ = promisify(execFile);

interface Run {
  /** Per step: from the end of its tools (observing) to the next model call (thinking), ms. */
  gaps: number[];
  totalMs: number;
  checkpoints: SnapshotInfo[];
}

/**
 * One agent of the offline planner on a small home of mixed files (a few hundred files), 20 steps that each write a
 * file, with checkpoints on or off. The loop's gap between steps is where a checkpoint holds it.
 */
async function runAgent(
  kernel: Kernel,
  agents: AgentSupervisor,
  template: string,
  checkpoints: boolean,
): Promise<Run> {
  const goal = Array.from({ length: STEPS }, (_, i) => `write "step ${i}" to notes/n${i}.md`).join(', then ');
  const taken: SnapshotInfo[] = [];
  const stamps: { phase: string; at: number }[] = [];
  const started = performance.now();
  const info = await agents.spawn(
    {
      network: false,
      goal,
      ...(checkpoints ? { checkpoints: { keep: STEPS } } : {}),
      // its home: a copy of the mixed one, there before its first step
      createHome: async (homesDir, pid) => {
        const home = join(homesDir, String(pid));
        await run$('cp', ['-a', template, home]);
        return home;
      },
    },
    { approvalPolicy: 'never', maxSteps: STEPS + 5 },
  );
  const offEvents = kernel.events.on(`agent.event.${info.pid}`, (event) => {
    const e = event as AgentEvent;
    if (e.type === 'phase') stamps.push({ phase: e.phase, at: performance.now() });
  });
  const offCreated = kernel.events.on('snapshot.created', (s) => {
    if ((s as SnapshotInfo).pid === info.pid) taken.push(s as SnapshotInfo);
  });
  while (kernel.processes.get(info.pid).state !== 'zombie') await new Promise((r) => setTimeout(r, 5));
  const totalMs = performance.now() - started;
  await kernel.snapshots.settled();
  offEvents.dispose();
  offCreated.dispose();
  if (kernel.processes.get(info.pid).exitCode !== 0) throw new Error(`the agent failed: ${info.pid}`);
  const gaps: number[] = [];
  for (let i = 1; i < stamps.length; i++) {
    if (stamps[i - 1]!.phase === 'observing' && stamps[i]!.phase === 'thinking')
      gaps.push(stamps[i]!.at - stamps[i - 1]!.at);
  }
  return { gaps, totalMs, checkpoints: taken };
}

export async function run(): Promise<BenchResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'habitat-bench-ckpt-'));
  const kernel = await Kernel.open({ dataDir, mode: 'headless', version: 'bench', termGraceMs: 500 });
  const agents = new AgentSupervisor(kernel, { env: {} });
  try {
    const template = join(dataDir, 'template');
    await populateMixedHome(template, HOME_BYTES);
    await runAgent(kernel, agents, template, true); // warm-up
    const off: Run[] = [];
    const on: Run[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      off.push(await runAgent(kernel, agents, template, false));
      on.push(await runAgent(kernel, agents, template, true));
    }
    const gapsOff = summarize(off.flatMap((r) => r.gaps));
    const gapsOn = summarize(on.flatMap((r) => r.gaps));
    const totalOff = summarize(off.map((r) => r.totalMs));
    const totalOn = summarize(on.map((r) => r.totalMs));
    const taken = on.flatMap((r) => r.checkpoints);
    const duration = summarize(taken.map((c) => c.durationMs));
    const files = taken[0]?.files ?? 0;
    const bytes = taken[0]?.bytes ?? 0;
    return {
      reference: `the same agent without checkpoints (${STEPS} steps, a home of ${files} files, ${(bytes / 2 ** 20).toFixed(1)} MiB)`,
      metrics: [
        {
          name: 'loop held between steps, p50',
          value: gapsOn.p50,
          unit: 'ms',
          reference: gapsOff.p50,
        },
        { name: 'loop held between steps, p99', value: gapsOn.p99, unit: 'ms', reference: gapsOff.p99 },
        {
          name: 'per-step overhead (run time / steps)',
          value: (totalOn.p50 - totalOff.p50) / STEPS,
          unit: 'ms',
          aimAtMost: 100,
        },
        { name: 'whole run, 20 steps', value: totalOn.p50, unit: 'ms', reference: totalOff.p50 },
        { name: 'checkpoint, start to ref written, p50', value: duration.p50, unit: 'ms' },
        {
          name: 'stored per checkpoint, mean',
          value: taken.reduce((n, c) => n + c.storedBytes, 0) / Math.max(1, taken.length) / 1024,
          unit: 'KiB',
        },
      ],
      notes: [
        `${ROUNDS} rounds of each, alternating; medians of the rounds`,
        'only files changed since the previous checkpoint are read; the loop waits while the home is walked and ' +
          'read, not while the manifest is written or older checkpoints are pruned',
      ],
    };
  } finally {
    await agents.close();
    await kernel.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
