// A kernel with one agent on a named remote engine, for the crash test: it prints the agent, then waits to be killed.
import { Kernel } from '../../Kernel.js';
import { parseEngineSpec } from '../engineUrl.js';

const [dataDir, engine] = process.argv.slice(2);
if (!dataDir || !engine) throw new Error('usage: engineKernel <dataDir> <NAME=URL>');
const kernel = await Kernel.open({
  dataDir,
  mode: 'headless',
  version: 'engine-crash-test',
  warmPool: { size: 0 },
  dockerEngines: [parseEngineSpec(engine)],
});
const agent = await kernel.processes.spawn({
  sandbox: 'docker',
  network: false,
  engine: parseEngineSpec(engine).name,
});
process.stdout.write(JSON.stringify({ pid: agent.pid, containerId: agent.sandbox.containerId }) + '\n');
setInterval(() => {}, 1_000);
