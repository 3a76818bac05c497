import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerForTests } from '../../test/docker.js';
import { tempDir, waitFor, firstLineThenKill } from '../../test/helpers.js';
import { DEFAULT_SANDBOX_IMAGE, ensureSandboxImage } from '../images/index.js';
import { Kernel } from '../Kernel.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// The warm pool on a real daemon: spares made ahead, claimed by spawns, refilled, removed on close and after a crash.
const docker = await dockerForTests('the warm container pool');

describe.skipIf(!docker)('warm container pool', () => {
  const dirs: ReturnType<typeof tempDir>[] = [];
  const kernels: Kernel[] = [];
  const open = async (dataDir: string, size = 2): Promise<Kernel> => {
    const kernel = await Kernel.open({
      dataDir,
      mode: 'headless',
      version: 'test',
      termGraceMs: 1000,
      warmPool: { size, prefill: size > 0 ? [DEFAULT_SANDBOX_IMAGE] : [] },
    });
    kernels.push(kernel);
    return kernel;
  };
  const fresh = (): string => {
    const dir = tempDir();
    dirs.push(dir);
    return dir.path;
  };
  const poolReady = (kernel: Kernel, n: number): Promise<void> =>
    waitFor(() => (kernel.warmPool.status()[0]?.ready ?? 0) >= n, 20_000, `${n} spares`);
  const containersOf = async (kernel: Kernel): Promise<Dockerode.ContainerInfo[]> =>
    docker!.listContainers({
      all: true,
      filters: { label: [`dev.habitat.instance=${kernel.store.instanceId()}`] },
    });
  const run = async (kernel: Kernel, pid: number, command: string): Promise<string> =>
    (
      await kernel.processes.exec(pid, ['bash', '-c', command], { timeoutMs: 10_000, maxOutputBytes: 65_536 })
    ).stdout.trim();

  beforeAll(async () => {
    await ensureSandboxImage(docker as Dockerode);
  }, 300_000);

  afterAll(async () => {
    for (const kernel of kernels) await kernel.close().catch(() => {});
    for (const dir of dirs) dir.cleanup();
  });

  it('serves a spawn from a spare: renamed, limited, its home in place, and refills behind it', async () => {
    const kernel = await open(fresh());
    await poolReady(kernel, 2);
    const spares = kernel.warmPool.spareIds();
    expect(spares).toHaveLength(2);

    const agent = await kernel.processes.spawn({
      sandbox: 'docker',
      network: false,
      limits: { memoryBytes: 256 * 1024 * 1024, cpus: 0.5, processes: 64 },
    });
    expect(spares).toContain(agent.sandbox.containerId);
    const inspect = await docker!.getContainer(agent.sandbox.containerId!).inspect();
    expect(inspect.Name).toBe(`/habitat-${kernel.store.instanceId()}-${agent.pid}`);
    expect(inspect.HostConfig).toMatchObject({
      Memory: 256 * 1024 * 1024,
      MemorySwap: 256 * 1024 * 1024,
      NanoCpus: 500_000_000,
      PidsLimit: 64,
      NetworkMode: 'none',
      CapDrop: ['ALL'],
      Privileged: false,
    });

    // the agent's identity reaches every exec; its home is the one the kernel sees, both ways
    expect(await run(kernel, agent.pid, 'echo $HABITAT_PID $(id -un)')).toBe(`${agent.pid} agent`);
    expect(await run(kernel, agent.pid, 'head -1 ~/README.md')).toBe(`# Home of agent ${agent.pid}`);
    await run(kernel, agent.pid, 'echo from-inside > ~/Documents/note.txt');
    const home = kernel.processes.home(agent.pid);
    expect(readFileSync(join(home, 'Documents', 'note.txt'), 'utf8')).toBe('from-inside\n');
    await kernel.fs(agent.pid).write('Desktop/from-kernel.txt', 'hello');
    expect(await run(kernel, agent.pid, 'cat ~/Desktop/from-kernel.txt')).toBe('hello');

    // the shell works and names the agent
    const session = kernel.terminals.get(agent.terminal!).session;
    let screen = '';
    session.attach((data) => (screen += data), { flowControl: false });
    await session.write('echo shell-$HABITAT_PID\n');
    await waitFor(() => screen.includes(`shell-${agent.pid}`), 15_000, 'the shell in the claimed spare');
    expect(screen).toContain(`agent@${agent.pid}:`);

    // the pool refills, and the claimed container is the agent's alone
    await poolReady(kernel, 2);
    expect(kernel.warmPool.spareIds()).not.toContain(agent.sandbox.containerId);
    expect(await containersOf(kernel)).toHaveLength(3);
    await kernel.processes.signal(agent.pid, 'KILL');
    for (let i = 0; i < 150 && (await containersOf(kernel)).length !== 2; i++) await sleep(100);
    expect(await containersOf(kernel)).toHaveLength(2);
  }, 60_000);

  it('makes to measure what a spare cannot serve: an agent with network', async () => {
    const kernel = await open(fresh());
    await poolReady(kernel, 2);
    const spares = kernel.warmPool.spareIds();
    const networked = await kernel.processes.spawn({ sandbox: 'docker', network: true });
    expect(spares).not.toContain(networked.sandbox.containerId);
    const info = await docker!.getContainer(networked.sandbox.containerId!).inspect();
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([
      `habitat-${kernel.store.instanceId()}-agents`,
    ]);
    expect(kernel.warmPool.spareIds().sort()).toEqual([...spares].sort());
  }, 60_000);

  it('restores and forks an agent into a container of its own: a spare never replaces the home they bring', async () => {
    const kernel = await open(fresh(), 1);
    await poolReady(kernel, 1);
    const agent = await kernel.processes.spawn({ sandbox: 'docker', network: false });
    await run(kernel, agent.pid, 'echo do-not-lose-me > ~/Documents/precious.txt');
    const snapshot = await kernel.snapshots.create(agent.pid, { label: 'before restore' });
    await poolReady(kernel, 1);
    const spares = kernel.warmPool.spareIds();

    const restored = (await kernel.snapshots.restore(snapshot.id)).process;
    const forked = (await kernel.snapshots.fork(agent.pid)).process;
    for (const copy of [restored, forked]) {
      expect(spares).not.toContain(copy.sandbox.containerId);
      const home = kernel.processes.home(copy.pid);
      expect(readFileSync(join(home, 'Documents', 'precious.txt'), 'utf8')).toBe('do-not-lose-me\n');
      expect(readFileSync(join(home, 'README.md'), 'utf8')).toMatch(`# Home of agent ${agent.pid}`);
      expect(await run(kernel, copy.pid, 'cat ~/Documents/precious.txt')).toBe('do-not-lose-me');
    }
    // the spare waits for a spawn it fits: a fresh agent's
    expect(kernel.warmPool.spareIds()).toEqual(spares);
    const next = await kernel.processes.spawn({ sandbox: 'docker', network: false });
    expect(spares).toContain(next.sandbox.containerId);
  }, 90_000);

  it('never hands out a spare that stopped behind its back: it is removed, and a running container serves', async () => {
    const kernel = await open(fresh());
    await poolReady(kernel, 2);
    const stopped = kernel.warmPool.spareIds();
    for (const id of stopped) await docker!.getContainer(id).kill(); // as a daemon restart or an OOM kill would

    const agent = await kernel.processes.spawn({ sandbox: 'docker', network: false });
    expect(stopped).not.toContain(agent.sandbox.containerId);
    expect(await run(kernel, agent.pid, 'echo alive-$HABITAT_PID')).toBe(`alive-${agent.pid}`);
    expect(kernel.processes.get(agent.pid).state).toBe('running');

    await poolReady(kernel, 2);
    const ids = (await containersOf(kernel)).map((c) => c.Id);
    for (const id of stopped) expect(ids).not.toContain(id);
    for (const id of kernel.warmPool.spareIds()) {
      expect((await docker!.getContainer(id).inspect()).State.Running).toBe(true);
    }
    const next = await kernel.processes.spawn({ sandbox: 'docker', network: false });
    expect(await run(kernel, next.pid, 'echo alive-$HABITAT_PID')).toBe(`alive-${next.pid}`);
  }, 60_000);

  it('removes every spare when the kernel closes, and with the pool off makes none', async () => {
    const dataDir = fresh();
    const kernel = await open(dataDir);
    await poolReady(kernel, 2);
    const instance = kernel.store.instanceId();
    await kernel.close();
    kernels.splice(kernels.indexOf(kernel), 1);
    const left = await docker!.listContainers({
      all: true,
      filters: { label: [`dev.habitat.instance=${instance}`] },
    });
    expect(left).toEqual([]);
    expect(existsSync(join(dataDir, 'homes', '.spares', 'local'))).toBe(false);

    const off = await open(fresh(), 0);
    const agent = await off.processes.spawn({ sandbox: 'docker', network: false });
    await sleep(500);
    expect(off.warmPool.spareIds()).toEqual([]);
    expect((await containersOf(off)).map((c) => c.Id)).toEqual([agent.sandbox.containerId]);
  }, 60_000);

  it('after a crash, the next boot re-attaches the agent made from a spare and removes the spares', async () => {
    const dataDir = fresh();
    const line = await firstLineThenKill(join(import.meta.dirname, 'testing', 'pooledKernel.ts'), [dataDir]);
    const crashed = JSON.parse(line) as { pid: number; containerId: string; spares: string[] };
    expect(crashed.spares).toHaveLength(2);

    const next = await open(dataDir, 0);
    const adopted = next.processes.get(crashed.pid);
    expect(adopted).toMatchObject({ state: 'running', sandbox: { containerId: crashed.containerId } });
    expect((await containersOf(next)).map((c) => c.Id)).toEqual([crashed.containerId]);
    expect(readdirSync(join(dataDir, 'homes', '.spares', 'local'))).toEqual([]);
    expect(await run(next, crashed.pid, 'echo $HABITAT_PID')).toBe(String(crashed.pid));
  }, 90_000);
});
