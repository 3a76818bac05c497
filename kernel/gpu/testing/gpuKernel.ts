// A kernel with one GPU agent, for the restart test: it prints the agent, then waits to be killed (SIGKILL, as in a
// crash). Usage: node --import tsx kernel/gpu/testing/gpuKernel.ts <dataDir>, with a (stand-in) nvidia-smi on PATH.
import { Kernel } from '../../Kernel.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: gpuKernel <dataDir>');
const kernel = await Kernel.open({ dataDir, mode: 'headless', version: 'crash-test' });
const agent = await kernel.processes.spawn({ network: false, gpus: ['0'] });
process.stdout.write(JSON.stringify({ pid: agent.pid, osPid: agent.sandbox.osPid, gpus: agent.gpus }) + '\n');
setInterval(() => undefined, 1000);
