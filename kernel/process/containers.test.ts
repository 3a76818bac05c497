import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerForTests } from '../../test/docker.js';
import { tempDir, waitFor, firstLineThenKill } from '../../test/helpers.js';
import { ensureSandboxImage } from '../images/index.js';
import { Kernel } from '../Kernel.js';

// Container agents through the whole kernel: the process table, terminals and boot reconciliation on a real daemon.
const docker = await dockerForTests('container agents');

describe.skipIf(!docker)('container agents', () => {
  const dir = tempDir();
  const kernels: Kernel[] = [];
  const open = async (): Promise<Kernel> => {
    const kernel = await Kernel.open({
      dataDir: dir.path,
      mode: 'headless',
      version: 'test',
      termGraceMs: 1000,
      warmPool: { size: 0 }, // counts containers: no spares (warmPool.test.ts covers them)
    });
    kernels.push(kernel);
    return kernel;
  };
  const managed = async (kernel: Kernel) =>
    (
      await docker!.listContainers({
        all: true,
        filters: { label: [`dev.habitat.instance=${kernel.store.instanceId()}`] },
      })
    ).length;

  afterAll(async () => {
    for (const kernel of kernels) await kernel.close().catch(() => {});
    const leftovers = await docker!.listContainers({
      all: true,
      filters: { label: ['dev.habitat.managed=1'] },
    });
    for (const c of leftovers.filter(
      (c) => c.Labels['dev.habitat.boot'] && kernels.some((k) => k.bootId === c.Labels['dev.habitat.boot']),
    )) {
      await docker!
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => {});
    }
    dir.cleanup();
  });

  it('spawns an agent in a locked-down container with its limits, and drives it with signals', async () => {
    await ensureSandboxImage(docker as Dockerode);
    const kernel = await open();
    const agent = await kernel.processes.spawn({
      sandbox: 'docker',
      network: false,
      limits: { memoryBytes: 256 * 1024 * 1024, cpus: 0.5, processes: 64 },
    });
    expect(agent.sandbox).toMatchObject({ kind: 'docker', isolation: 'container', osPid: null });
    const container = docker!.getContainer(agent.sandbox.containerId!);
    const inspect = await container.inspect();
    expect(inspect.HostConfig).toMatchObject({
      Memory: 256 * 1024 * 1024,
      NanoCpus: 500_000_000,
      PidsLimit: 64,
      NetworkMode: 'none',
      Privileged: false,
      CapDrop: ['ALL'],
    });

    // terminal round trip through the kernel's terminal session
    const session = kernel.terminals.get(agent.terminal!).session;
    let screen = '';
    const consumer = session.attach((data) => (screen += data), { flowControl: false });
    await session.write('echo inside-$(id -un)\n');
    await waitFor(() => screen.includes('inside-agent'), 15_000, 'the echo from the container');

    // STOP freezes the container, CONT thaws it
    expect((await kernel.processes.signal(agent.pid, 'STOP')).state).toBe('stopped');
    expect((await container.inspect()).State.Paused).toBe(true);
    expect((await kernel.processes.signal(agent.pid, 'CONT')).state).toBe('running');
    expect((await container.inspect()).State.Paused).toBe(false);

    const result = await kernel.processes.exec(
      agent.pid,
      ['sh', '-c', 'cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max; exit 3'],
      {
        timeoutMs: 10_000,
        maxOutputBytes: 1000,
      },
    );
    expect(result).toMatchObject({ exitCode: 3, stdout: '64\n' });

    consumer.detach();
    await kernel.processes.signal(agent.pid, 'KILL');
    await waitFor(() => kernel.processes.get(agent.pid).state === 'zombie', 15_000, 'the zombie');
    const poll = setInterval(
      () =>
        void container.inspect().then(
          () => {},
          () => (removed = true),
        ),
      200,
    );
    let removed = false;
    await waitFor(() => removed, 15_000, 'the container removed with its agent').finally(() =>
      clearInterval(poll),
    );
  });

  it('lets a container agent change what the kernel wrote into its home', async () => {
    const kernel = kernels.at(-1) ?? (await open());
    const agent = await kernel.processes.spawn({ sandbox: 'docker', network: false });
    await kernel.fs(agent.pid).write('notes/from-kernel/todo.md', 'one\n', { createParents: true });
    await kernel.fs(agent.pid).copy('notes/from-kernel', 'notes/copy');
    const result = await kernel.processes.exec(
      agent.pid,
      [
        'sh',
        '-c',
        'echo two >> notes/from-kernel/todo.md && mkdir notes/copy/mine && rm notes/copy/todo.md && cat notes/from-kernel/todo.md',
      ],
      { timeoutMs: 10_000, maxOutputBytes: 1000 },
    );
    expect(result).toMatchObject({ exitCode: 0, stdout: 'one\ntwo\n' });
    await kernel.processes.signal(agent.pid, 'KILL');
  });

  it('closes an extra terminal in a container: its program ends, the agent lives on', async () => {
    const kernel = kernels.at(-1) ?? (await open());
    const agent = await kernel.processes.spawn({ sandbox: 'docker', network: false });
    const extra = kernel.terminals.open(
      agent.pid,
      kernel.processes.terminalLaunch(agent.pid, ['sleep', '300']),
      {
        main: false,
      },
    );
    const count = async () =>
      (
        await kernel.processes.exec(agent.pid, ['sh', '-c', 'pgrep -c -x sleep || true'], {
          timeoutMs: 5000,
          maxOutputBytes: 100,
        })
      ).stdout.trim();
    await waitFor(() => false, 300).catch(() => {});
    expect(Number(await count())).toBeGreaterThanOrEqual(2); // the keep-alive and ours
    await kernel.terminals.close(extra.id);
    expect(Number(await count())).toBe(1);
    expect(kernel.processes.get(agent.pid).state).toBe('running');
    await kernel.processes.signal(agent.pid, 'KILL');
  });

  it('re-attaches a running container agent after the kernel restarts, and leaks none', async () => {
    // the kernel dies without cleaning up: its own process, SIGKILLed, so nothing of it reacts afterwards
    for (const kernel of kernels.splice(0)) await kernel.close();
    const line = await firstLineThenKill(join(import.meta.dirname, 'testing', 'containerKernel.ts'), [
      dir.path,
    ]);
    const agent = JSON.parse(line) as { pid: number; containerId: string };

    const second = await open();
    const adopted = second.processes.get(agent.pid);
    expect(adopted.state).toBe('running');
    expect(adopted.sandbox.containerId).toBe(agent.containerId);
    const session = second.terminals.get(adopted.terminal!).session;
    let screen = '';
    session.attach((data) => (screen += data), { flowControl: false });
    await session.write('echo still-here\n');
    await waitFor(() => screen.includes('still-here'), 15_000, 'the re-attached shell');
    expect(await managed(second)).toBe(1);

    await second.close();
    kernels.splice(kernels.indexOf(second), 1);
    const third = await open();
    expect(await managed(third)).toBe(0); // shut down cleanly: every container removed
  });

  it(
    're-attaches a stopped container agent still stopped; CONT then lets its shell and commands run',
    { timeout: 90_000 },
    async () => {
      for (const kernel of kernels.splice(0)) await kernel.close();
      const line = await firstLineThenKill(join(import.meta.dirname, 'testing', 'containerKernel.ts'), [
        dir.path,
        'stopped',
      ]);
      const agent = JSON.parse(line) as { pid: number; containerId: string };
      const container = docker!.getContainer(agent.containerId);
      expect((await container.inspect()).State.Paused).toBe(true);

      const second = await open();
      const adopted = second.processes.get(agent.pid);
      expect(adopted).toMatchObject({ state: 'stopped' });
      expect((await container.inspect()).State.Paused).toBe(true);
      const session = second.terminals.get(adopted.terminal!).session;
      let screen = '';
      session.attach((data) => (screen += data), { flowControl: false });
      await session.write('echo woke-$((20+22))\n'); // typed while stopped: the shell reads it once thawed
      // a moment stopped: the new shell must not have died on the pause (it used to, exit 126)
      await sleep(1500);
      expect(second.processes.get(agent.pid).state).toBe('stopped');

      expect((await second.processes.signal(agent.pid, 'CONT')).state).toBe('running');
      expect((await container.inspect()).State.Paused).toBe(false);
      await waitFor(() => screen.includes('woke-42'), 15_000, 'the re-attached shell after CONT');
      const result = await second.processes.exec(agent.pid, ['sh', '-c', 'echo exec-$((6*7))'], {
        timeoutMs: 10_000,
        maxOutputBytes: 1000,
      });
      expect(result).toMatchObject({ exitCode: 0, stdout: 'exec-42\n' });
      expect(second.processes.get(agent.pid).state).toBe('running');
      await second.processes.signal(agent.pid, 'KILL');
      await waitFor(() => second.processes.get(agent.pid).state === 'zombie', 15_000, 'the zombie');
    },
  );

  it('closing the kernel while a container agent is being made leaves no container, and the spawn says why', async () => {
    for (const kernel of kernels) await kernel.close(); // the data folder is one kernel's at a time
    const kernel = await open();
    const instance = kernel.store.instanceId();
    const spawned = new Promise<void>((resolve) => kernel.events.on('process.spawned', () => resolve()));
    const spawn = kernel.processes.spawn({ sandbox: 'docker', network: false }).then(
      () => undefined,
      (error: unknown) => error,
    );
    await spawned; // its record exists; Docker is still making its container
    await kernel.close();
    expect(await spawn).toMatchObject({ code: 'E_UNAVAILABLE', message: 'the kernel is shutting down' });
    const left = await docker!.listContainers({
      all: true,
      filters: { label: [`dev.habitat.instance=${instance}`] },
    });
    expect(left.map((c) => `${c.Names[0]} ${c.State}`)).toEqual([]);
  });
});
