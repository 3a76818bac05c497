// A kernel with one container agent, for the crash tests: it prints the agent, then waits to be killed. With
// `stopped`, the agent is STOPped (its container paused) before it is printed.
import { Kernel } from '../../Kernel.js';

const [dataDir, mode] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: containerKernel <dataDir> [stopped]');
const kernel = await Kernel.open({ dataDir, mode: 'headless', version: 'crash-test', warmPool: { size: 0 } });
const agent = await kernel.processes.spawn({ sandbox: 'docker', network: false });
if (mode === 'stopped') await kernel.processes.signal(agent.pid, 'STOP');
process.stdout.write(JSON.stringify({ pid: agent.pid, containerId: agent.sandbox.containerId }) + '\n');
setInterval(() => {}, 1_000);
