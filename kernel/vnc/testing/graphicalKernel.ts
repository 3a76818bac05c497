// Stands in for a kernel that is killed while a graphical agent runs: it spawns one, waits for its display, prints
// the agent's PID, and waits to be killed (SIGKILL: nothing is cleaned up, the container lives on).
import { Kernel } from '../../Kernel.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: graphicalKernel <dataDir>');
const kernel = await Kernel.open({ dataDir, mode: 'headless', version: 'crash-test', warmPool: { size: 0 } });
const agent = await kernel.processes.spawn({
  sandbox: 'docker',
  network: false,
  graphical: { width: 640, height: 480 },
});
const deadline = Date.now() + 60_000;
while (kernel.displays.list().find((d) => d.pid === agent.pid)?.state !== 'ready') {
  if (Date.now() > deadline) throw new Error('the display did not start');
  await new Promise((resolve) => setTimeout(resolve, 50));
}
process.stdout.write(JSON.stringify({ pid: agent.pid, containerId: agent.sandbox.containerId }) + '\n');
setInterval(() => undefined, 1000);
