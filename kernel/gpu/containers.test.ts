import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HabitatError } from '../../shared/protocol/index.js';
import { dockerForTests } from '../../test/docker.js';
import { tempDir, waitFor } from '../../test/helpers.js';
import { ensureDataDir } from '../datadir/index.js';
import { DockerEngine, DockerSandbox } from '../docker/index.js';
import { createHome } from '../fs/index.js';
import { ensureSandboxImage } from '../images/index.js';
import { Kernel } from '../Kernel.js';
import { Store } from '../store/index.js';

// GPUs of container agents on a real Docker daemon, with the stand-in nvidia-smi first on PATH. This daemon has no
// NVIDIA runtime, so a container that requests GPUs can be created and inspected but not started.
const docker = await dockerForTests('GPU containers');
const STUB_DIR = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'nvidia-smi');
const A = 'GPU-6b5c8f2e-3a1d-4e9b-9c7a-0f12d34e5a67';
const B = 'GPU-a41e07d3-8c2b-4f61-b5d9-7e3c2a1f0b84';

describe.skipIf(!docker)('GPU containers', () => {
  const path = process.env.PATH;
  const dirs: ReturnType<typeof tempDir>[] = [];
  const kernels: Kernel[] = [];
  const instances: string[] = [];
  let image: string;

  const open = async (dataDir: string): Promise<Kernel> => {
    const kernel = await Kernel.open({ dataDir, mode: 'headless', version: 'test', termGraceMs: 1000 });
    kernels.push(kernel);
    instances.push(kernel.store.instanceId());
    return kernel;
  };
  const fresh = (): string => {
    const dir = tempDir();
    dirs.push(dir);
    return dir.path;
  };
  const managed = async (instance: string) =>
    docker!.listContainers({ all: true, filters: { label: [`dev.habitat.instance=${instance}`] } });

  beforeAll(async () => {
    process.env.PATH = `${STUB_DIR}:${path}`;
    image = (await ensureSandboxImage(docker as Dockerode)).tag;
  }, 600_000);
  afterAll(async () => {
    process.env.PATH = path;
    for (const kernel of kernels) await kernel.close().catch(() => {});
    for (const instance of instances) {
      for (const c of await managed(instance)) {
        await docker!
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => {});
      }
    }
    for (const dir of dirs) dir.cleanup();
  });

  it('a created container carries the GPU device requests (inspected, never started)', async () => {
    const layout = ensureDataDir(fresh());
    const instance = `test-gpu-${Date.now().toString(36)}`;
    instances.push(instance);
    const sandbox = new DockerSandbox(new DockerEngine(docker!), { instance, version: 'test', image });
    const agent = await sandbox.create({
      pid: 1,
      bootId: 'boot',
      home: await createHome(layout.homes, 1),
      network: false,
      gpus: [B],
    });
    try {
      const host = (await agent.inspect()).HostConfig;
      expect(host.DeviceRequests).toHaveLength(1);
      expect(host.DeviceRequests![0]).toMatchObject({
        Driver: 'nvidia',
        DeviceIDs: [B],
        Capabilities: [['gpu']],
      });
      expect(host.Privileged).toBe(false);
    } finally {
      await agent.remove();
    }
    expect(await managed(instance)).toEqual([]);
  });

  it('a GPU container that cannot start (no NVIDIA runtime) says why, and gives its GPU back', async () => {
    const runtimes = Object.keys(((await docker!.info()) as { Runtimes?: object }).Runtimes ?? {});
    if (runtimes.includes('nvidia')) return; // a GPU host: this daemon could start it
    const kernel = await open(fresh());
    const error: unknown = await kernel.processes.spawn({ sandbox: 'docker', network: false, gpus: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HabitatError);
    expect((error as HabitatError).code).toBe('E_UNAVAILABLE');
    expect((error as HabitatError).message).toMatch(/nvidia.*NVIDIA Container Toolkit/s);
    expect((await kernel.gpus.list()).gpus.map((g) => g.heldBy)).toEqual([null, null]);
    expect(kernel.processes.list()[0]).toMatchObject({ state: 'zombie', phase: 'failed', gpus: [A] });
    expect(await managed(kernel.store.instanceId())).toEqual([]);
  });

  it('after a restart, a re-attached container agent keeps its GPU: it is not given to anyone else', async () => {
    // what a previous kernel left: a running container agent holding GPU 0, and a host agent holding GPU 1
    const dataDir = fresh();
    const layout = ensureDataDir(dataDir);
    const store = Store.open(layout.db);
    const instance = store.instanceId();
    const sandbox = new DockerSandbox(new DockerEngine(docker!), { instance, version: 'test', image });
    const base = {
      ppid: null,
      role: null,
      goal: null,
      state: 'running' as const,
      phase: 'waiting' as const,
      bootId: 'previous-boot',
      createdAt: new Date().toISOString(),
      endedAt: null,
      exitCode: null,
      exitReason: null,
    };
    const trainer = store.allocatePid();
    const home = await createHome(layout.homes, trainer);
    const container = await sandbox.create({ pid: trainer, bootId: 'previous-boot', home, network: false });
    await container.start();
    store.putProcess({
      ...base,
      pid: trainer,
      name: 'trainer',
      sandbox: {
        kind: 'docker',
        isolation: 'container',
        osPid: null,
        containerId: container.id,
        network: false,
      },
      config: { home, network: false, limits: {}, image, gpus: 1 },
      gpus: [A],
    });
    const hostAgent = store.allocatePid();
    store.putProcess({
      ...base,
      pid: hostAgent,
      name: 'host-agent',
      sandbox: { kind: 'host', isolation: 'none', osPid: null, containerId: null, network: false },
      config: { home: await createHome(layout.homes, hostAgent), network: false, limits: {}, gpus: 1 },
      gpus: [B],
    });
    store.close();

    const kernel = await open(dataDir);
    expect(kernel.processes.get(trainer)).toMatchObject({ state: 'running', gpus: [A] });
    expect(kernel.processes.get(hostAgent).state).toBe('dead');
    const gpus = async () => (await kernel.gpus.list()).gpus.map((g) => g.heldBy);
    expect(await gpus()).toEqual([trainer, null]);
    await expect(kernel.processes.spawn({ network: false, gpus: [A] })).rejects.toMatchObject({
      code: 'E_LIMIT',
    });
    const next = await kernel.processes.spawn({ network: false, gpus: 1 });
    expect(next.gpus).toEqual([B]);

    await kernel.processes.signal(trainer, 'KILL');
    await waitFor(() => kernel.processes.get(trainer).state === 'zombie', 15_000, 'the trainer ended');
    expect(await gpus()).toEqual([null, next.pid]);
  });
});
