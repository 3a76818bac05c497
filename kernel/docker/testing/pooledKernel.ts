// A kernel with a filled warm pool and one agent made from a spare, for the crash test: it prints the agent and the
// spares, then waits to be killed.
import { Kernel } from '../../Kernel.js';
import { DEFAULT_SANDBOX_IMAGE } from '../../images/index.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: pooledKernel <dataDir>');
const kernel = await Kernel.open({
  dataDir,
  mode: 'headless',
  version: 'pool-crash-test',
  warmPool: { size: 2, prefill: [DEFAULT_SANDBOX_IMAGE] },
});
const ready = async (): Promise<void> => {
  while ((kernel.warmPool.status()[0]?.ready ?? 0) < 2) await new Promise((r) => setTimeout(r, 50));
};
await ready();
const agent = await kernel.processes.spawn({ sandbox: 'docker', network: false });
await ready();
process.stdout.write(
  JSON.stringify({
    pid: agent.pid,
    containerId: agent.sandbox.containerId,
    spares: kernel.warmPool.spareIds(),
  }) + '\n',
);
setInterval(() => {}, 1_000);
