import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerForTests } from '../../test/docker.js';
import { tempDir, waitFor } from '../../test/helpers.js';
import { ensureSandboxImage } from '../images/index.js';
import { Kernel } from '../Kernel.js';
import { IMAGE_BUILD_TIMEOUT_MS } from './testing/testbed.js';

// Signals to container agents through the whole kernel, as host agents take them (README: Signals).
const docker = await dockerForTests('container agents and TERM');

describe.skipIf(!docker)('container agents and TERM', () => {
  const dir = tempDir();
  let kernel: Kernel;
  const running = async (id: string): Promise<boolean> =>
    (await docker!
      .getContainer(id)
      .inspect()
      .then((info) => info.State.Running)
      .catch(() => false)) as boolean;

  beforeAll(async () => {
    await ensureSandboxImage(docker as Dockerode);
    kernel = await Kernel.open({
      dataDir: dir.path,
      mode: 'headless',
      version: 'test',
      termGraceMs: 30_000, // far longer than any wait below: the grace period's KILL must not be what ends them
      warmPool: { size: 0 },
    });
  }, IMAGE_BUILD_TIMEOUT_MS);
  afterAll(async () => {
    await kernel?.close();
    dir.cleanup();
  });

  it('ends a shell agent at once on TERM, with 143 as a host agent', async () => {
    const agent = await kernel.processes.spawn({ sandbox: 'docker', network: false });
    const session = kernel.terminals.get(agent.terminal!).session;
    let screen = '';
    session.attach((data) => (screen += data), { flowControl: false });
    await session.write('echo ready-$HABITAT_PID\n');
    await waitFor(() => screen.includes(`ready-${agent.pid}`), 15_000, 'the shell');

    const started = Date.now();
    await kernel.processes.signal(agent.pid, 'TERM');
    await waitFor(() => kernel.processes.get(agent.pid).state === 'zombie', 10_000, 'the zombie');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(kernel.processes.get(agent.pid)).toMatchObject({
      exitCode: 143,
      exitReason: 'killed by signal 15',
    });
    expect(await running(agent.sandbox.containerId!)).toBe(false);
  }, 60_000);

  it('lets an agent with a goal finish its step: TERM leaves its container running', async () => {
    const agent = await kernel.processes.spawn({
      sandbox: 'docker',
      network: false,
      goal: 'finish the step',
    });
    await kernel.processes.signal(agent.pid, 'TERM');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(kernel.processes.get(agent.pid).state).toBe('running');
    expect(await running(agent.sandbox.containerId!)).toBe(true);
    await kernel.processes.signal(agent.pid, 'KILL');
    await waitFor(() => kernel.processes.get(agent.pid).state === 'zombie', 15_000, 'the zombie');
    expect(kernel.processes.get(agent.pid).exitCode).toBe(137);
  }, 60_000);
});
