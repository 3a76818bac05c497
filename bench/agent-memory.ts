import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { BenchResult } from './lib/types.js';

export const name = 'kernel memory per idle agent, 200 agents';

const AGENTS = 200;
const MIB = 1024 * 1024;

export async function run(): Promise<BenchResult> {
  const script = join(import.meta.dirname, 'lib', 'idleAgents.ts');
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ['--expose-gc', '--import', 'tsx', script, String(AGENTS)],
      { timeout: 180_000, maxBuffer: 1 << 20 },
      (error, out) => (error ? reject(error) : resolve(out)),
    ),
  );
  const m = JSON.parse(stdout.trim().split('\n').pop()!) as {
    count: number;
    rssBefore: number;
    rssAfter: number;
    heapBefore: number;
    heapAfter: number;
    running: number;
  };
  if (m.running !== AGENTS) throw new Error(`only ${m.running} of ${AGENTS} agents were running`);
  return {
    metrics: [
      {
        name: 'RSS per idle agent',
        value: (m.rssAfter - m.rssBefore) / AGENTS / MIB,
        unit: 'MiB',
        aimAtMost: 2,
      },
      {
        name: 'JS heap + external per idle agent',
        value: (m.heapAfter - m.heapBefore) / AGENTS / MIB,
        unit: 'MiB',
      },
      { name: 'kernel RSS with 200 agents', value: m.rssAfter / MIB, unit: 'MiB' },
    ],
    notes: [
      `${AGENTS} host-sandbox agents, each with a shell on a PTY and a headless screen, measured in a fresh process after GC`,
      "the agents' own OS processes (bwrap, bash) are not the kernel's memory and are not counted",
    ],
  };
}
