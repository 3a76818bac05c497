import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dockerForTests } from '../../test/docker.js';
import { firstLineThenKill, tempDir, waitFor } from '../../test/helpers.js';
import { Kernel } from '../Kernel.js';
import type { ProcessRecord } from '../store/index.js';
import { DockerEngines } from './DockerEngines.js';
import { faultyDocker } from './testing/faultyDocker.js';
import { dockerTestbed, IMAGE_BUILD_TIMEOUT_MS, type Testbed } from './testing/testbed.js';

// Boot reconciliation when the engine refuses part of it: the kernel still boots, and what it could not clean up
// is reported and tried again, never left for good.
const docker = await dockerForTests('docker cleanup at boot');

describe.skipIf(!docker)('docker cleanup at boot', () => {
  let bed: Testbed;
  const dirs: ReturnType<typeof tempDir>[] = [];
  const kernels: Kernel[] = [];
  const fresh = (): string => {
    const dir = tempDir();
    dirs.push(dir);
    return dir.path;
  };
  const containersOf = async (instance: string): Promise<Dockerode.ContainerInfo[]> =>
    docker!.listContainers({ all: true, filters: { label: [`dev.habitat.instance=${instance}`] } });

  beforeAll(async () => {
    bed = await dockerTestbed(docker!, 'cleanup');
  }, IMAGE_BUILD_TIMEOUT_MS);
  afterAll(async () => {
    for (const kernel of kernels) await kernel.close().catch(() => {});
    await bed?.cleanup();
    for (const dir of dirs) dir.cleanup();
  });

  it('boots and re-attaches its agent though a leftover container cannot be removed; closing removes it', async () => {
    const dataDir = fresh();
    const line = await firstLineThenKill(join(import.meta.dirname, 'testing', 'pooledKernel.ts'), [dataDir]);
    const crashed = JSON.parse(line) as { pid: number; containerId: string; spares: string[] };
    const [stuck, other] = crashed.spares as [string, string];

    const faulty = faultyDocker();
    faulty.fail('remove', stuck);
    const kernel = await Kernel.open({
      dataDir,
      mode: 'headless',
      version: 'test',
      docker: faulty.docker,
      warmPool: { size: 0 },
    });
    kernels.push(kernel);
    expect(kernel.processes.get(crashed.pid)).toMatchObject({
      state: 'running',
      sandbox: { containerId: crashed.containerId },
    });
    const instance = kernel.store.instanceId();
    const left = (await containersOf(instance)).map((c) => c.Id);
    expect(left.sort()).toEqual([crashed.containerId, stuck].sort());
    expect(left).not.toContain(other);
    expect(kernel.engines.warning).toMatch(/1 Docker container\(s\) .* could not be removed/);
    // and the kernel says so: habitat info's warnings, and its system log
    expect(kernel.info().warnings).toContain(kernel.engines.warning);
    expect(kernel.store.latestEvents(null, 50).map((e) => e.type)).toContain('docker.removal.failed');

    // the engine recovers: the kernel's close makes a last try
    faulty.clear();
    await kernel.close();
    kernels.splice(kernels.indexOf(kernel), 1);
    expect(await containersOf(instance)).toEqual([]);
  }, 90_000);

  it('reports a container it cannot remove once, and removes it when the engine lets it', async () => {
    const leftover = await bed.agent(99);
    const faulty = faultyDocker();
    faulty.fail('remove', leftover.id, 2); // at boot and at the first retry
    const onRemovalFailed = vi.fn();
    const engines = new DockerEngines({
      local: faulty.docker,
      instance: bed.instance,
      version: 'test',
      bootId: 'a-later-boot',
      homes: fresh(),
      poolSize: 0,
      onPoolError: () => {},
      onRemovalFailed,
      removalRetryMs: 100,
    });
    try {
      await engines.reconcile(
        [],
        async () => {},
        () => {},
      );
      expect(onRemovalFailed).toHaveBeenCalledOnce();
      expect(onRemovalFailed).toHaveBeenCalledWith('local', leftover.id, expect.anything());
      expect(String(onRemovalFailed.mock.calls[0]![2])).toMatch(/device or resource busy/);
      expect(engines.warning).toContain(leftover.name);

      const gone = async (): Promise<boolean> => (await containersOf(bed.instance)).length === 0;
      for (let i = 0; i < 100 && !(await gone()); i++) await new Promise((r) => setTimeout(r, 100));
      expect(await gone()).toBe(true);
      expect(faulty.failures('remove', leftover.id)).toBe(2);
      await waitFor(() => engines.warning === undefined, 5_000, 'the warning cleared');
      expect(onRemovalFailed).toHaveBeenCalledOnce();
    } finally {
      await engines.closePools();
    }
  }, 60_000);

  it('removes the container of an agent it fails to re-attach: the agent is lost, its container gone', async () => {
    const dataDir = fresh();
    const line = await firstLineThenKill(
      join(import.meta.dirname, '..', 'process', 'testing', 'containerKernel.ts'),
      [dataDir],
    );
    const crashed = JSON.parse(line) as { pid: number; containerId: string };

    const faulty = faultyDocker();
    faulty.fail('inspect', crashed.containerId, 1); // the engine times out once, as the re-attach looks
    const kernel = await Kernel.open({
      dataDir,
      mode: 'headless',
      version: 'test',
      docker: faulty.docker,
      warmPool: { size: 0 },
    });
    kernels.push(kernel);
    expect(faulty.failures('inspect', crashed.containerId)).toBe(1);
    expect(kernel.processes.get(crashed.pid).state).toBe('dead');
    expect(await containersOf(kernel.store.instanceId())).toEqual([]);
  }, 90_000);

  it('tries again to remove a container it failed to re-attach and then to remove', async () => {
    const agent = await bed.agent(7);
    const faulty = faultyDocker();
    faulty.fail('inspect', agent.id, 1);
    faulty.fail('remove', agent.id, 1);
    const onRemovalFailed = vi.fn();
    const onError = vi.fn();
    const engines = new DockerEngines({
      local: faulty.docker,
      instance: bed.instance,
      version: 'test',
      bootId: 'a-later-boot',
      homes: fresh(),
      poolSize: 0,
      onPoolError: () => {},
      onRemovalFailed,
      removalRetryMs: 100,
    });
    const record = {
      pid: 7,
      state: 'running',
      bootId: bed.bootId,
      sandbox: { kind: 'docker', containerId: agent.id, engine: 'local' },
    } as ProcessRecord;
    const adopt = vi.fn(async () => {});
    try {
      await engines.reconcile([record], adopt, onError);
      expect(adopt).not.toHaveBeenCalled();
      expect(onError).toHaveBeenCalledWith(record, expect.anything());
      expect(onRemovalFailed).toHaveBeenCalledWith('local', agent.id, expect.anything());
      expect(engines.warning).toContain(agent.name);
      const gone = async (): Promise<boolean> => (await containersOf(bed.instance)).length === 0;
      for (let i = 0; i < 100 && !(await gone()); i++) await new Promise((r) => setTimeout(r, 100));
      expect(await gone()).toBe(true);
      await waitFor(() => engines.warning === undefined, 5_000, 'the warning cleared');
    } finally {
      await engines.closePools();
    }
  }, 60_000);
});
