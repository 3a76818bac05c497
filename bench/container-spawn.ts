import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSandboxImage, Kernel } from '../kernel/index.js';
import { summarize } from './lib/stats.js';
import { elapsedNs, now, nsToMs } from './lib/time.js';
import type { BenchResult } from './lib/types.js';

export const name = 'container spawn to shell prompt (cold; the warm pool is not built yet)';

const SAMPLES = 10;
const PROMPT = /[$#] $/;

export async function run(): Promise<BenchResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'habitat-bench-'));
  const kernel = await Kernel.open({ dataDir, mode: 'headless', version: 'bench' });
  try {
    await ensureSandboxImage(kernel.docker);
    const samples = new Float64Array(SAMPLES);
    for (let i = 0; i < SAMPLES; i++) {
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
      samples[i] = nsToMs(elapsedNs(start));
      await kernel.processes.signal(info.pid, 'KILL');
    }
    const s = summarize(samples);
    return {
      metrics: [
        { name: 'cold spawn to prompt p50', value: s.p50, unit: 'ms', aimAtMost: 1500 },
        { name: 'cold spawn to prompt p99', value: s.p99, unit: 'ms' },
      ],
      notes: [
        `${SAMPLES} container agents (habitat/sandbox:base, no network): create, start, exec bash on a TTY, first prompt`,
        'the warm-pool figure (aim: at most 150 ms) comes with the warm pool',
      ],
    };
  } finally {
    await kernel.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
