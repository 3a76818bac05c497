// Stands in for a kernel that is killed while a graphical agent runs: it spawns one, waits for its display, prints
// the agent's PID, and waits to be killed (SIGKILL: nothing is cleaned up, the container lives on). A script, when
// given, runs in the agent's container (as the agent) once the display is up, before the PID is printed.
import { Kernel } from '../../Kernel.js';

const [dataDir, script] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: graphicalKernel <dataDir> [script for the agent]');
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
if (script) {
  const result = await kernel.processes.exec(agent.pid, ['sh', '-c', script], {
    timeoutMs: 15_000,
    maxOutputBytes: 64 * 1024,
  });
  if (result.exitCode !== 0)
    throw new Error(`the agent's script failed (${result.exitCode}): ${result.stderr}`);
}
process.stdout.write(JSON.stringify({ pid: agent.pid, containerId: agent.sandbox.containerId }) + '\n');
setInterval(() => undefined, 1000);
