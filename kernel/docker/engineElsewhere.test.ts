import { promises as fsp, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerForTests } from '../../test/docker.js';
import { tempDir } from '../../test/helpers.js';
import { ensureSandboxImage } from '../images/index.js';
import { Kernel } from '../Kernel.js';
import { parseEngineSpec } from './engineUrl.js';
import { IMAGE_BUILD_TIMEOUT_MS } from './testing/testbed.js';

// An engine "on another machine", played by the local daemon under another name: `far` sees the homes folder at
// another path (a symlink stands in for the other machine's shared mount), `near` names no homes folder. Either way
// the kernel's GPUs and its other folders are not that machine's.
const docker = await dockerForTests('engines elsewhere');
const socket = process.env.DOCKER_HOST?.startsWith('unix://')
  ? process.env.DOCKER_HOST
  : 'unix:///var/run/docker.sock';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const nvidiaSmi = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'nvidia-smi', 'nvidia-smi');

describe.skipIf(!docker)('agents on a Docker engine on another machine', () => {
  const dir = tempDir();
  const engineHomes = `${dir.path}-engine-homes`;
  let kernel: Kernel;

  beforeAll(async () => {
    await ensureSandboxImage(docker!);
    await fsp.mkdir(join(dir.path, 'homes'), { recursive: true });
    symlinkSync(join(dir.path, 'homes'), engineHomes);
    kernel = await Kernel.open({
      dataDir: dir.path,
      mode: 'headless',
      version: 'test',
      termGraceMs: 1000,
      warmPool: { size: 0 },
      gpu: { nvidiaSmi },
      dockerEngines: [
        parseEngineSpec(`far=${socket}?homes=${engineHomes}`),
        parseEngineSpec(`near=${socket}`),
      ],
    });
  }, IMAGE_BUILD_TIMEOUT_MS);
  afterAll(async () => {
    await kernel?.close();
    dir.cleanup();
    await fsp.rm(engineHomes, { force: true });
  }, 60_000);

  const containers = async (): Promise<string[]> =>
    (
      await docker!.listContainers({
        all: true,
        filters: { label: [`dev.habitat.instance=${kernel.store.instanceId()}`] },
      })
    ).map((c) => c.Id);

  it('binds the home from where that machine sees it', async () => {
    const agent = await kernel.processes.spawn({ sandbox: 'docker', engine: 'far', network: false });
    const info = await docker!.getContainer(agent.sandbox.containerId!).inspect();
    expect(info.Mounts.map((m) => [m.Source, m.Destination])).toEqual([
      [join(engineHomes, String(agent.pid)), '/home/agent'],
    ]);
    await kernel.processes.signal(agent.pid, 'KILL');
    for (let i = 0; i < 150 && (await containers()).length > 0; i++) await sleep(100);
    expect(await containers()).toEqual([]);
  });

  it('refuses a shared workspace there, saying why, and makes no container', async () => {
    await kernel.workspaces.create('ws');
    await expect(
      kernel.processes.spawn({
        sandbox: 'docker',
        engine: 'far',
        network: false,
        workspaces: [{ name: 'ws', mode: 'rw' }],
      }),
    ).rejects.toMatchObject({
      code: 'E_INVALID',
      message: expect.stringContaining(
        'shared workspaces and graphical agents run on the local engine',
      ) as string,
    });
    expect(await containers()).toEqual([]);
  });

  it('refuses a graphical agent there', async () => {
    await expect(
      kernel.processes.spawn({ sandbox: 'docker', engine: 'far', network: false, graphical: true }),
    ).rejects.toMatchObject({
      code: 'E_INVALID',
      message: expect.stringContaining('graphical agents run on the local engine') as string,
    });
    expect(await containers()).toEqual([]);
  });

  it('refuses GPUs on every engine but the local one, and gives them back', async () => {
    for (const engine of ['far', 'near']) {
      await expect(
        kernel.processes.spawn({ sandbox: 'docker', engine, network: false, gpus: 1 }),
      ).rejects.toMatchObject({
        code: 'E_INVALID',
        message: expect.stringContaining('run agents with GPUs on the local engine') as string,
      });
    }
    expect(kernel.gpus.snapshot().map((gpu) => gpu.heldBy)).toEqual([null, null]);
  });
});
