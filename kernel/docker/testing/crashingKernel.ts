// Stands in for a kernel that is killed with container agents running: it starts two agents with a terminal each,
// prints their container ids, and waits to be killed.
import Dockerode from 'dockerode';
import { DockerEngine } from '../DockerEngine.js';
import { DockerSandbox } from '../DockerSandbox.js';

const [instance, image, bootId, ...homes] = process.argv.slice(2);
if (!instance || !image || !bootId || homes.length === 0) {
  throw new Error('usage: crashingKernel <instance> <image> <bootId> <home>...');
}
const sandbox = new DockerSandbox(new DockerEngine(new Dockerode()), {
  instance,
  version: 'crash-test',
  image,
});
const ids: string[] = [];
for (const [index, home] of homes.entries()) {
  const agent = await sandbox.create({ pid: index + 1, bootId, home, network: false });
  await agent.start();
  const terminal = agent.openTerminal({ cols: 80, rows: 24 });
  await terminal.ready;
  terminal.write('sleep 1000\n');
  ids.push(agent.id);
}
process.stdout.write(JSON.stringify({ ids }) + '\n');
setInterval(() => undefined, 1000);
