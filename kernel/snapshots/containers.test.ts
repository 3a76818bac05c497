import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerForTests } from '../../test/docker.js';
import { tempDir } from '../../test/helpers.js';
import { ensureSandboxImage } from '../images/index.js';
import { Kernel } from '../Kernel.js';
import { digestTree } from './testing/trees.js';

// Snapshots of container agents: the container is paused while its bind-mounted home is read from the host side.
const docker = await dockerForTests('snapshots of container agents');

describe.skipIf(!docker)('snapshots of container agents', () => {
  const dir = tempDir('habitat-snapdock-');
  let kernel: Kernel;
  const pausedDuringCapture: boolean[] = [];

  beforeAll(async () => {
    await ensureSandboxImage(docker as Dockerode);
    kernel = await Kernel.open({
      dataDir: dir.path,
      mode: 'headless',
      version: 'test',
      termGraceMs: 1000,
      warmPool: { size: 0 },
    });
    // called while the agent is held: the place to look at the container
    kernel.snapshots.setAgentStateProvider({
      capture: async (pid) => {
        const id = kernel.processes.get(pid).sandbox.containerId!;
        pausedDuringCapture.push((await docker!.getContainer(id).inspect()).State.Paused);
        return { conversation: [{ role: 'user', content: `goal of ${pid}` }] };
      },
      restore: () => {},
    });
  }, 120_000);
  afterAll(async () => {
    await kernel?.close();
    dir.cleanup();
  });

  const exec = (pid: number, script: string) =>
    kernel.processes.exec(pid, ['sh', '-c', script], { timeoutMs: 20_000, maxOutputBytes: 1 << 20 });

  it('restores and forks a container agent: same files (by sha256), same image and limits, a new PID and container', async () => {
    const original = await kernel.processes.spawn({
      sandbox: 'docker',
      name: 'boxed',
      network: false,
      limits: { memoryBytes: 256 * 1024 * 1024, cpus: 0.5, processes: 64 },
    });
    const made = await exec(
      original.pid,
      'mkdir -p Documents/x && head -c 300000 /dev/urandom > Documents/x/r.bin && echo hi > notes/a.txt && ' +
        'ln -s notes/a.txt ln && chmod 700 Documents/x && chmod 640 notes/a.txt && id -un',
    );
    expect(made).toMatchObject({ exitCode: 0, stdout: 'agent\n' });

    const info = await kernel.snapshots.create(original.pid);
    expect(pausedDuringCapture).toEqual([true]);
    expect(info).toMatchObject({ sandbox: 'docker', quiesced: true, agentState: true });
    const container = docker!.getContainer(original.sandbox.containerId!);
    expect((await container.inspect()).State).toMatchObject({ Running: true, Paused: false });

    const restored = await kernel.snapshots.restore(info.id);
    const copy = restored.process;
    expect(copy.pid).not.toBe(original.pid);
    expect(copy.sandbox.kind).toBe('docker');
    expect(copy.sandbox.containerId).not.toBe(original.sandbox.containerId);
    const inspect = await docker!.getContainer(copy.sandbox.containerId!).inspect();
    expect(inspect.Config.Image).toBe('habitat/sandbox:base');
    expect(inspect.HostConfig).toMatchObject({
      Memory: 256 * 1024 * 1024,
      NanoCpus: 500_000_000,
      PidsLimit: 64,
      NetworkMode: 'none',
    });

    const homeOf = (pid: number) => kernel.processes.home(pid);
    expect(await digestTree(homeOf(copy.pid))).toEqual(await digestTree(homeOf(original.pid)));
    // the restored home belongs to the container's user: it reads and writes its files as before
    const inside = await exec(
      copy.pid,
      'cat ln && echo more >> notes/a.txt && touch Documents/x/new && stat -c %a Documents/x',
    );
    expect(inside).toMatchObject({ exitCode: 0, stdout: 'hi\n700\n' });
    expect((await fsp.stat(join(homeOf(copy.pid), 'notes/a.txt'))).uid).toBe(
      (await fsp.stat(homeOf(original.pid))).uid,
    );

    const fork = await kernel.snapshots.fork(original.pid);
    expect(kernel.processes.get(original.pid).state).toBe('running');
    expect((await container.inspect()).State.Paused).toBe(false);
    expect((await exec(original.pid, 'cat notes/a.txt')).stdout).toBe('hi\n');
    expect(await digestTree(homeOf(fork.process.pid))).toEqual(await digestTree(homeOf(original.pid)));

    for (const pid of [original.pid, copy.pid, fork.process.pid]) await kernel.processes.signal(pid, 'KILL');
  }, 120_000);
});
