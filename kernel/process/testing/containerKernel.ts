// A kernel with one container agent, for the crash test: it prints the agent, then waits to be killed.
import { Kernel } from '../../Kernel.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: containerKernel <dataDir>');
const kernel = await Kernel.open({ dataDir, mode: 'headless', version: 'crash-test', warmPool: { size: 0 } });
const agent = await kernel.processes.spawn({ sandbox: 'docker', network: false });
process.stdout.write(JSON.stringify({ pid: agent.pid, containerId: agent.sandbox.containerId }) + '\n');
setInterval(() => {}, 1_000);
