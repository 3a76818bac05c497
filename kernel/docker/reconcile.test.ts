import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerForTests } from '../../test/docker.js';
import { DockerSandbox } from './DockerSandbox.js';
import { listManaged } from './reconcile.js';
import {
  dockerTestbed,
  IMAGE_BUILD_TIMEOUT_MS,
  recordTerminal,
  removeInstance,
  type Testbed,
} from './testing/testbed.js';

const docker = await dockerForTests('docker reconciliation');

describe.skipIf(!docker)('docker sandbox: reconciliation on kernel boot', () => {
  let bed: Testbed;
  const otherInstance = `${Date.now()}-other`;

  beforeAll(async () => {
    bed = await dockerTestbed(docker!, 'reconcile');
  }, IMAGE_BUILD_TIMEOUT_MS);
  afterAll(async () => {
    await bed?.cleanup();
    if (bed) await removeInstance(bed.engine, otherInstance);
  });

  it('re-attaches running containers of live agents and removes every other one; none leak', async () => {
    // what a kernel left behind when it was killed: agents 1-4 of its boot
    const live = await bed.agent(1);
    const dead = await bed.agent(2);
    const neverStarted = await bed.sandbox.create({
      pid: 3,
      bootId: bed.bootId,
      home: await bed.home(3),
      network: false,
    });
    const stopped = await bed.agent(4);
    await stopped.pause();
    const exited = await bed.agent(5);
    await exited.kill();
    // another kernel on the same engine, and a container the new kernel made while reconciling
    const other = new DockerSandbox(bed.engine, {
      instance: otherInstance,
      version: 'test',
      image: bed.image,
    });
    const foreign = await other.create({ pid: 1, bootId: 'x', home: await bed.home(100), network: false });
    const newBoot = 'boot-after-restart';
    const fresh = await bed.sandbox.create({
      pid: 6,
      bootId: newBoot,
      home: await bed.home(6),
      network: false,
    });
    expect((await bed.sandbox.listManaged()).length).toBe(6);

    const liveAgents = new Set([1, 3, 4, 5, 6]);
    const result = await bed.sandbox.reconcile({ bootId: newBoot, isLive: (pid) => liveAgents.has(pid) });

    expect([...result.reattached].sort()).toEqual([live.id, stopped.id].sort());
    expect([...result.removed].sort()).toEqual([dead.id, neverStarted.id, exited.id].sort());
    const left = await bed.sandbox.listManaged();
    expect(left.map((c) => c.id).sort()).toEqual([live.id, stopped.id, fresh.id].sort());
    expect((await listManaged(bed.engine, otherInstance)).map((c) => c.id)).toEqual([foreign.id]);

    // a second reconciliation changes nothing
    const again = await bed.sandbox.reconcile({ bootId: newBoot, isLive: (pid) => liveAgents.has(pid) });
    expect(again.removed).toEqual([]);

    // the kernel re-attaches: a stopped agent stays stopped until CONT, then its terminal works
    const reattached = await bed.sandbox.attach(stopped.id);
    expect(reattached.pid).toBe(4);
    expect((await reattached.state()).paused).toBe(true);
    await reattached.unpause();
    const terminal = reattached.openTerminal({ cols: 80, rows: 24 });
    const screen = recordTerminal(terminal);
    terminal.write('echo back-$((40+2))\n');
    await screen.waitFor('back-42');
    terminal.kill('SIGKILL');
    await screen.exited;
  });

  it('after a kernel is killed with agents running, the next boot removes all of them', async () => {
    const crashed = `${Date.now()}-crashed`;
    const homes = await Promise.all([bed.home(201), bed.home(202)]);
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'testing', 'crashingKernel.ts'),
        crashed,
        bed.image,
        randomUUID(),
        ...homes,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`the kernel stand-in exited with ${code}`)));
      });
      const { ids } = JSON.parse(line) as { ids: string[] };
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));

      const next = new DockerSandbox(bed.engine, { instance: crashed, version: 'test', image: bed.image });
      expect((await next.listManaged()).map((c) => c.id).sort()).toEqual([...ids].sort());
      const result = await next.reconcile({ bootId: randomUUID(), isLive: () => false });
      expect(result).toEqual({
        reattached: [],
        removed: expect.arrayContaining(ids) as string[],
        failed: [],
      });
      expect(await next.listManaged()).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      await removeInstance(bed.engine, crashed);
    }
  }, 30_000);
});
