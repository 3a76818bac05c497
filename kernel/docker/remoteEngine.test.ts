import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerForTests } from '../../test/docker.js';
import { tempDir, waitFor, firstLineThenKill } from '../../test/helpers.js';
import { DEFAULT_SANDBOX_IMAGE, ensureSandboxImage } from '../images/index.js';
import { Kernel } from '../Kernel.js';
import { parseEngineSpec, type EngineConfig } from './engineUrl.js';
import {
  canStartSecondDaemon,
  copyImage,
  startSecondDaemon,
  type SecondDaemon,
} from './testing/secondDaemon.js';

// One kernel, two Docker engines: the local daemon and a second one this test starts, reached over TCP with mutual
// TLS as a remote engine would be.
const docker = await dockerForTests('remote Docker engines');
if (docker && !canStartSecondDaemon()) {
  const why = 'remote Docker engines: starting a second dockerd needs root, /usr/sbin/dockerd and openssl';
  if (process.env.HABITAT_REQUIRE_DOCKER === '1') throw new Error(why);
  console.warn(`\n*** ${why}; these tests are SKIPPED ***\n`);
}

describe.skipIf(!docker || !canStartSecondDaemon())('remote Docker engines', () => {
  let second: SecondDaemon;
  let remote: EngineConfig;
  const dirs: ReturnType<typeof tempDir>[] = [];
  const kernels: Kernel[] = [];
  const open = async (dataDir?: string, engines?: EngineConfig[]): Promise<Kernel> => {
    const dir = dataDir ?? dirs[dirs.push(tempDir()) - 1]!.path;
    const kernel = await Kernel.open({
      dataDir: dir,
      mode: 'headless',
      version: 'test',
      termGraceMs: 1000,
      warmPool: { size: 0 },
      dockerEngines: engines ?? [remote],
    });
    kernels.push(kernel);
    return kernel;
  };
  const containerIds = async (client: Dockerode, kernel: Kernel): Promise<string[]> =>
    (
      await client.listContainers({
        all: true,
        filters: { label: [`dev.habitat.instance=${kernel.store.instanceId()}`] },
      })
    ).map((c) => c.Id);
  const echo = async (kernel: Kernel, terminal: number, word: string): Promise<void> => {
    const session = kernel.terminals.get(terminal).session;
    let screen = '';
    const consumer = session.attach((data) => (screen += data), { flowControl: false });
    await session.write(`echo ${word}-$HABITAT_PID\n`);
    await waitFor(() => screen.includes(`${word}-`), 15_000, `the echo of ${word}`);
    consumer.detach();
  };

  beforeAll(async () => {
    await ensureSandboxImage(docker as Dockerode);
    second = await startSecondDaemon();
    await copyImage(docker!, second.engine.docker, DEFAULT_SANDBOX_IMAGE);
    remote = parseEngineSpec(`second=tcp://127.0.0.1:${second.port}?tls=${second.certs}`);
  }, 300_000);

  afterAll(async () => {
    for (const kernel of kernels) await kernel.close().catch(() => {});
    await second?.stop();
    for (const dir of dirs) dir.cleanup();
  }, 60_000);

  it('drives agents on the local engine and on the TLS engine at once', async () => {
    const kernel = await open();
    expect(kernel.info().sandbox.dockerEngines).toEqual([
      { name: 'local', address: expect.stringMatching(/^unix:\/\//) as string },
      { name: 'second', address: `https://127.0.0.1:${second.port}` },
    ]);
    const [here, there] = await Promise.all([
      kernel.processes.spawn({ sandbox: 'docker', network: false }),
      kernel.processes.spawn({ sandbox: 'docker', network: false, engine: 'second' }),
    ]);
    expect(here.sandbox.engine).toBe('local');
    expect(there.sandbox.engine).toBe('second');
    expect(await containerIds(docker!, kernel)).toEqual([here.sandbox.containerId]);
    expect(await containerIds(second.engine.docker, kernel)).toEqual([there.sandbox.containerId]);

    await Promise.all([echo(kernel, here.terminal!, 'local'), echo(kernel, there.terminal!, 'remote')]);
    const hostname = await kernel.processes.exec(there.pid, ['cat', '/etc/hostname'], {
      timeoutMs: 10_000,
      maxOutputBytes: 1024,
    });
    expect(hostname.stdout.trim()).toBe(`agent-${there.pid}`);
    // the agent's home is shared with the kernel on the remote engine too (the same machine's folder here)
    await kernel.fs(there.pid).write('Documents/hello.txt', 'from the kernel');
    const read = await kernel.processes.exec(there.pid, ['cat', 'Documents/hello.txt'], {
      timeoutMs: 10_000,
      maxOutputBytes: 1024,
    });
    expect(read.stdout).toBe('from the kernel');

    // signals reach the right engine
    await kernel.processes.signal(there.pid, 'STOP');
    expect((await second.engine.docker.getContainer(there.sandbox.containerId!).inspect()).State.Paused).toBe(
      true,
    );
    expect((await docker!.getContainer(here.sandbox.containerId!).inspect()).State.Paused).toBe(false);
    await kernel.processes.signal(there.pid, 'CONT');
    await echo(kernel, there.terminal!, 'again');

    await kernel.processes.signal(there.pid, 'KILL');
    await kernel.processes.signal(here.pid, 'KILL');
    for (let i = 0; i < 100; i++) {
      const left = [
        ...(await containerIds(docker!, kernel)),
        ...(await containerIds(second.engine.docker, kernel)),
      ];
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await containerIds(docker!, kernel)).toEqual([]);
    expect(await containerIds(second.engine.docker, kernel)).toEqual([]);
  }, 120_000);

  it('refuses an unknown engine and an engine for a host agent before anything is made', async () => {
    const kernel = await open();
    const before = kernel.processes.list().length;
    await expect(
      kernel.processes.spawn({ sandbox: 'docker', network: false, engine: 'nowhere' }),
    ).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
      message: expect.stringContaining('local, second') as string,
    });
    await expect(
      kernel.processes.spawn({ sandbox: 'host', network: false, engine: 'second' }),
    ).rejects.toMatchObject({
      code: 'E_INVALID',
    });
    expect(kernel.processes.list()).toHaveLength(before);
  });

  it('answers E_UNAVAILABLE for an engine that does not answer, and the others go on', async () => {
    const dead = parseEngineSpec(`dead=tcp://127.0.0.1:1`);
    const kernel = await open(undefined, [remote, dead]);
    const started = Date.now();
    await expect(
      kernel.processes.spawn({ sandbox: 'docker', network: false, engine: 'dead' }),
    ).rejects.toMatchObject({ code: 'E_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(5_000);
    const alive = await kernel.processes.spawn({ sandbox: 'docker', network: false, engine: 'second' });
    await echo(kernel, alive.terminal!, 'alive');
    await kernel.processes.signal(alive.pid, 'KILL');
  }, 60_000);

  it('re-attaches an agent on the remote engine after the kernel dies', async () => {
    const dir = tempDir();
    dirs.push(dir);
    // a real crash: the first kernel is its own process, killed with SIGKILL, so nothing of it reacts afterwards
    const spec = `second=tcp://127.0.0.1:${second.port}?tls=${second.certs}`;
    const line = await firstLineThenKill(join(import.meta.dirname, 'testing', 'engineKernel.ts'), [
      dir.path,
      spec,
    ]);
    const agent = JSON.parse(line) as { pid: number; containerId: string };

    const next = await open(dir.path);
    const adopted = next.processes.get(agent.pid);
    expect(adopted).toMatchObject({
      state: 'running',
      sandbox: { engine: 'second', containerId: agent.containerId },
    });
    await echo(next, adopted.terminal!, 'adopted');
    expect(await containerIds(second.engine.docker, next)).toEqual([agent.containerId]);
    await next.processes.signal(agent.pid, 'KILL');
  }, 90_000);
});
