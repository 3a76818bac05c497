// Measures the kernel's own memory for N idle agents, in a fresh process (run with --expose-gc).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kernel } from '../../kernel/index.js';

const count = Number(process.argv[2] ?? 200);
const gc = (globalThis as { gc?: () => void }).gc;
const settle = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((r) => setTimeout(r, 200));
  }
};

const dataDir = await mkdtemp(join(tmpdir(), 'habitat-bench-'));
const kernel = await Kernel.open({ dataDir, mode: 'headless', version: 'bench' });
await settle();
const before = process.memoryUsage();
const pids: number[] = [];
for (let i = 0; i < count; i++) pids.push((await kernel.processes.spawn({ network: false })).pid);
// idle: every shell has printed its prompt and the headless screens have parsed it
await new Promise((r) => setTimeout(r, 3000));
for (const pid of pids) await kernel.terminals.get(kernel.processes.get(pid).terminal!).session.settled();
await settle();
const after = process.memoryUsage();
process.stdout.write(
  JSON.stringify({
    count,
    rssBefore: before.rss,
    rssAfter: after.rss,
    heapBefore: before.heapUsed + before.external,
    heapAfter: after.heapUsed + after.external,
    running: kernel.info().agents.running,
  }) + '\n',
);
await kernel.close();
await rm(dataDir, { recursive: true, force: true });
