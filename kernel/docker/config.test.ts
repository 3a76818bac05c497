import { chownSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { HabitatError, type ErrorCode } from '../../shared/protocol/index.js';
import { tempDir } from '../../test/helpers.js';
import { containerCreateOptions, spareContainerOptions, type ContainerSpec } from './containerConfig.js';
import { DockerEngine } from './DockerEngine.js';
import { DockerSandbox } from './DockerSandbox.js';
import { prepareHomeOwner } from './homeOwner.js';
import { DEFAULT_CONTAINER_LIMITS, resolveLimits } from './limits.js';
import { assertMountSourcesSafe } from './mountSafety.js';

function codeOf(run: () => unknown): ErrorCode | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof HabitatError ? error.code : undefined;
  }
  return undefined;
}

async function asyncCodeOf(promise: Promise<unknown>): Promise<ErrorCode | 'ok' | 'other'> {
  return promise.then(
    () => 'ok' as const,
    (error: unknown) => (error instanceof HabitatError ? error.code : 'other'),
  );
}

const identity = { instance: 'unit', version: '9.9.9' };
const resolved = {
  image: 'habitat/sandbox:base',
  limits: DEFAULT_CONTAINER_LIMITS,
  user: { uid: 1000, gid: 1000 },
  identity,
};
const spec: ContainerSpec = { pid: 7, bootId: 'boot-1', home: '/srv/homes/7', network: false };

describe('the container an agent gets', () => {
  it('is locked down by default', () => {
    const options = containerCreateOptions(spec, resolved);
    const host = options.HostConfig!;
    expect(options.User).toBe('1000:1000');
    expect(host.NetworkMode).toBe('none');
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.CapAdd).toEqual([]);
    expect(host.SecurityOpt).toEqual(['no-new-privileges']);
    expect(host.Privileged).toBe(false);
    expect(host.Init).toBe(true);
    expect(host.PidsLimit).toBe(256);
    expect(host.Memory).toBe(512 * 1024 * 1024);
    expect(host.MemorySwap).toBe(host.Memory);
    expect(host.NanoCpus).toBe(1e9);
    expect(host.Binds).toBeUndefined();
    expect(host.Mounts).toEqual([
      { Type: 'bind', Source: '/srv/homes/7', Target: '/home/agent', ReadOnly: false },
    ]);
    expect(options.Labels).toEqual({
      'dev.habitat.managed': '1',
      'dev.habitat.instance': 'unit',
      'dev.habitat.pid': '7',
      'dev.habitat.boot': 'boot-1',
      'dev.habitat.version': '9.9.9',
    });
    expect(options.name).toBe('habitat-unit-7');
  });

  it("joins Habitat's agents network only when granted network, never Docker's default bridge", () => {
    const networked = { ...resolved, network: 'habitat-unit-agents' };
    expect(containerCreateOptions({ ...spec, network: true }, networked).HostConfig!.NetworkMode).toBe(
      'habitat-unit-agents',
    );
    expect(containerCreateOptions(spec, networked).HostConfig!.NetworkMode).toBe('none');
    expect(codeOf(() => containerCreateOptions({ ...spec, network: true }, resolved))).toBe('E_INTERNAL');
  });

  it('gets a scrubbed environment, never the host one', () => {
    process.env.HABITAT_TEST_SECRET = 'sk-live-should-never-leak';
    try {
      const env = containerCreateOptions({ ...spec, env: { GOAL: 'x' } }, resolved).Env!;
      expect(env).toContain('HOME=/home/agent');
      expect(env).toContain('HABITAT_PID=7');
      expect(env).toContain('GOAL=x');
      expect(env.join('\n')).not.toContain('sk-live-should-never-leak');
    } finally {
      delete process.env.HABITAT_TEST_SECRET;
    }
    expect(codeOf(() => containerCreateOptions({ ...spec, env: { 'A=B': 'x' } }, resolved))).toBe(
      'E_INVALID',
    );
  });

  it('hides every GPU unless it was given some, whatever the image or the extra environment say', () => {
    const without = containerCreateOptions(
      { ...spec, env: { NVIDIA_VISIBLE_DEVICES: 'all' } },
      resolved,
    ).Env!;
    expect(without).toContain('NVIDIA_VISIBLE_DEVICES=void');
    expect(without).toContain('CUDA_VISIBLE_DEVICES=');
    expect(without).not.toContain('NVIDIA_VISIBLE_DEVICES=all');
    const uuid = 'GPU-6b5c8f2e-3a1d-4e9b-9c7a-0f12d34e5a67';
    const given = containerCreateOptions({ ...spec, gpus: [uuid] }, resolved).Env!;
    expect(given).toContain(`NVIDIA_VISIBLE_DEVICES=${uuid}`);
    expect(given).toContain(`CUDA_VISIBLE_DEVICES=${uuid}`);
    const spare = spareContainerOptions(
      { slot: 1, bootId: 'boot-1', home: '/srv/homes/.spares/1' },
      resolved,
    );
    expect(spare.Env).toContain('NVIDIA_VISIBLE_DEVICES=void');
  });

  it('applies the limits asked for', () => {
    const limits = resolveLimits({ memoryBytes: 256 * 1024 * 1024, cpus: 0.5, pids: 64, openFiles: 1000 });
    const host = containerCreateOptions(spec, { ...resolved, limits }).HostConfig!;
    expect(host.Memory).toBe(256 * 1024 * 1024);
    expect(host.MemorySwap).toBe(256 * 1024 * 1024);
    expect(host.NanoCpus).toBe(5e8);
    expect(host.PidsLimit).toBe(64);
    expect(host.Ulimits).toEqual([{ Name: 'nofile', Soft: 1000, Hard: 1000 }]);
  });

  it('gets a read-only root with a private /tmp when asked', () => {
    const host = containerCreateOptions({ ...spec, readonlyRootfs: true }, resolved).HostConfig!;
    expect(host.ReadonlyRootfs).toBe(true);
    expect(Object.keys(host.Tmpfs ?? {})).toContain('/tmp');
  });
});

describe('limits', () => {
  it('refuses bad values with E_INVALID', () => {
    for (const bad of [
      { memoryBytes: -1 },
      { memoryBytes: 1024 },
      { memoryBytes: 1.5e9 + 0.5 },
      { cpus: 0 },
      { cpus: Number.NaN },
      { cpus: Infinity },
      { pids: 0 },
      { pids: 10.5 },
      { openFiles: 1 },
    ]) {
      expect(
        codeOf(() => resolveLimits(bad)),
        JSON.stringify(bad),
      ).toBe('E_INVALID');
    }
    expect(resolveLimits({ cpus: 2.5 }).cpus).toBe(2.5);
  });
});

describe('the Docker socket is never mounted', () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it('refuses sockets and folders that hold an engine socket', () => {
    for (const source of ['/', '/run', '/var/run', '/var']) {
      expect(
        codeOf(() => assertMountSourcesSafe([source])),
        source,
      ).toBe('E_DENIED');
    }
    const custom = join(dir.path, 'engines');
    mkdirSync(custom);
    expect(codeOf(() => assertMountSourcesSafe([dir.path], [join(custom, 'docker.sock')]))).toBe('E_DENIED');
    expect(codeOf(() => assertMountSourcesSafe(['relative/path']))).toBe('E_INVALID');
    expect(codeOf(() => assertMountSourcesSafe([join(dir.path, 'missing')]))).toBe('E_NOT_FOUND');
    expect(codeOf(() => assertMountSourcesSafe([dir.path]))).toBeUndefined();
  });

  it('refuses a socket file itself', async () => {
    const path = join(dir.path, 'some.sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      expect(codeOf(() => assertMountSourcesSafe([path]))).toBe('E_DENIED');
    } finally {
      server.close();
    }
  });

  it('refuses such a spawn before it reaches the engine', async () => {
    const engine = new DockerEngine(new Dockerode({ socketPath: '/nonexistent.sock' }));
    const sandbox = new DockerSandbox(engine, identity);
    const base = { pid: 1, bootId: 'b', network: false };
    expect(await asyncCodeOf(sandbox.create({ ...base, home: '/var/run' }))).toBe('E_DENIED');
    const mounts = [{ source: '/run', target: '/mnt/run' }];
    expect(await asyncCodeOf(sandbox.create({ ...base, home: dir.path, mounts }))).toBe('E_DENIED');
    const limits = { pids: -5 };
    expect(await asyncCodeOf(sandbox.create({ ...base, home: dir.path, limits }))).toBe('E_INVALID');
    expect(codeOf(() => new DockerSandbox(engine, { instance: 'no spaces', version: '1' }))).toBe(
      'E_INVALID',
    );
  });
});

describe('an engine on another machine', () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());
  const engine = new DockerEngine(new Dockerode({ socketPath: '/nonexistent.sock' }), { name: 'ssh://far' });
  const base = { pid: 1, bootId: 'b', network: false };
  const gpus = ['GPU-6b5c8f2e-3a1d-4e9b-9c7a-0f12d34e5a67'];
  const workspace = [{ source: '/srv/data/shared/ws', target: '/home/agent/shared/ws' }];

  it('is given no GPUs and no folder besides the home, before anything reaches it', async () => {
    for (const sandbox of [
      new DockerSandbox(engine, { ...identity, remote: true }),
      new DockerSandbox(engine, { ...identity, homesOnEngine: { local: dir.path, engine: '/mnt/homes' } }),
    ]) {
      const withGpus = sandbox.create({ ...base, home: dir.path, gpus });
      await expect(withGpus).rejects.toMatchObject({
        code: 'E_INVALID',
        message: expect.stringContaining('run agents with GPUs on the local engine') as string,
      });
      const withMounts = sandbox.create({ ...base, home: dir.path, mounts: workspace });
      await expect(withMounts).rejects.toMatchObject({
        code: 'E_INVALID',
        message: expect.stringContaining('/srv/data/shared/ws') as string,
      });
      // without either, the request gets as far as the engine (which is down here)
      expect(await asyncCodeOf(sandbox.create({ ...base, home: dir.path }))).toBe('E_UNAVAILABLE');
    }
  });

  it('the local engine is given both', () => {
    const local = new DockerSandbox(engine, identity);
    expect(() => local.assertCanRun({ gpus, mounts: workspace })).not.toThrow();
  });
});

describe.skipIf(process.getuid?.() !== 0)('the home, as the container user sees it', () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it('a root-owned home is handed to the agent user 1000, symlinks not followed', async () => {
    const home = join(dir.path, 'root-home');
    mkdirSync(join(home, 'notes'), { recursive: true, mode: 0o700 });
    writeFileSync(join(home, 'notes', 'a.txt'), 'x');
    const outside = join(dir.path, 'outside.txt');
    writeFileSync(outside, 'host file');
    symlinkSync(outside, join(home, 'link'));
    expect(await prepareHomeOwner(home)).toEqual({ uid: 1000, gid: 1000 });
    expect(statSync(join(home, 'notes', 'a.txt')).uid).toBe(1000);
    expect(statSync(outside).uid).toBe(0);
  });

  it('a home that belongs to a user is used as that user', async () => {
    const home = join(dir.path, 'user-home');
    mkdirSync(home);
    chownSync(home, 4242, 4243);
    expect(await prepareHomeOwner(home)).toEqual({ uid: 4242, gid: 4243 });
  });
});
