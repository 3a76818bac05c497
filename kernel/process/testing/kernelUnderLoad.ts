// A kernel with live agents under event-log write load, for the crash test: it prints its agents, then every
// acknowledged (committed) event sequence number, until it is killed.
import { Kernel } from '../../Kernel.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: kernelUnderLoad <dataDir>');
const kernel = await Kernel.open({ dataDir, mode: 'headless', version: 'crash-test' });
const agents: { pid: number; osPid: number | null }[] = [];
for (let i = 0; i < 2; i++) {
  const info = await kernel.processes.spawn({ network: false });
  agents.push({ pid: info.pid, osPid: info.sandbox.osPid });
}
process.stdout.write(JSON.stringify({ agents }) + '\n');
kernel.store.onCommit((seq) => process.stdout.write(`ack ${seq}\n`));
let n = 0;
const burst = (): void => {
  for (let i = 0; i < 500; i++)
    kernel.store.appendEvent(agents[i % 2]!.pid, 'load', { n: n++, pad: 'x'.repeat(64) });
  setImmediate(burst);
};
burst();
