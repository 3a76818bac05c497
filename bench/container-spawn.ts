import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SANDBOX_IMAGE, ensureSandboxImage, Kernel } from '../kernel/index.js';
import { summarize } from './lib/stats.js';
import { elapsedNs, now, nsToMs } from './lib/time.js';
import type { BenchResult } from './lib/types.js';

export const name = 'container spawn to shell prompt, cold and from the warm pool';

const SAMPLES = 10;
const PROMPT = /[$#] $/;

/** Spawns a container agent and waits for its shell's first prompt; returns the milliseconds and the agent. */
async function spawnToPrompt(kernel: Kernel): Promise<{ ms: number; pid: number; containerId: string }> {
  const start = now();
  const info = await kernel.processes.spawn({ sandbox: 'docker', network: false });
  const session = kernel.terminals.get(info.terminal!).session;
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`no prompt: ${JSON.stringify(seen.slice(-200))}`)),
      20_000,
    );
    const consumer = session.attach(
      (data) => {
        seen += data;
        if (PROMPT.test(seen)) {
          clearTimeout(timer);
          consumer.detach();
          resolve();
        }
      },
      { flowControl: false },
    );
  });
  return { ms: nsToMs(elapsedNs(start)), pid: info.pid, containerId: info.sandbox.containerId! };
}

async function withKernel<T>(pool: number, work: (kernel: Kernel) => Promise<T>): Promise<T> {
  const dataDir = await mkdtemp(join(tmpdir(), 'habitat-bench-'));
  const kernel = await Kernel.open({
    dataDir,
    mode: 'headless',
    version: 'bench',
    warmPool: { size: pool, prefill: pool > 0 ? [DEFAULT_SANDBOX_IMAGE] : [] },
  });
  try {
    return await work(kernel);
  } finally {
    await kernel.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function poolFull(kernel: Kernel, size: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((kernel.warmPool.status()[0]?.ready ?? 0) < size) {
    if (Date.now() > deadline) throw new Error('the warm pool did not fill in 30 s');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function run(): Promise<BenchResult> {
  const probe = await Kernel.open({
    dataDir: await mkdtemp(join(tmpdir(), 'habitat-bench-')),
    mode: 'headless',
    version: 'bench',
  });
  await ensureSandboxImage(probe.docker).finally(() => probe.close());

  const cold = new Float64Array(SAMPLES);
  await withKernel(0, async (kernel) => {
    for (let i = 0; i < SAMPLES; i++) {
      const agent = await spawnToPrompt(kernel);
      cold[i] = agent.ms;
      await kernel.processes.signal(agent.pid, 'KILL');
    }
  });

  const warm = new Float64Array(SAMPLES);
  let served = 0;
  await withKernel(2, async (kernel) => {
    for (let i = 0; i < SAMPLES; i++) {
      await poolFull(kernel, 2); // a spawn as it happens in use: the pool has had time to refill
      const spares = new Set(kernel.warmPool.spareIds());
      const agent = await spawnToPrompt(kernel);
      warm[i] = agent.ms;
      if (spares.has(agent.containerId)) served++;
      await kernel.processes.signal(agent.pid, 'KILL');
    }
  });
  if (served !== SAMPLES) throw new Error(`only ${served} of ${SAMPLES} warm spawns took a spare`);

  const c = summarize(cold);
  const w = summarize(warm);
  return {
    reference: 'cold spawns (a container created and started for each) in the same run',
    metrics: [
      { name: 'cold spawn to prompt p50', value: c.p50, unit: 'ms', aimAtMost: 1500 },
      { name: 'cold spawn to prompt p99', value: c.p99, unit: 'ms' },
      { name: 'warm spawn to prompt p50', value: w.p50, unit: 'ms', aimAtMost: 150 },
      { name: 'warm spawn to prompt p99', value: w.p99, unit: 'ms' },
      { name: 'warm vs cold p50', value: w.p50 / c.p50, unit: 'x' },
    ],
    notes: [
      `${SAMPLES} container agents each way (${DEFAULT_SANDBOX_IMAGE}, no network), from spawn to the shell's first prompt`,
      'cold: create, start, exec bash on a TTY; warm: claim a ready spare (rename, its home moved into place), exec bash',
    ],
  };
}
