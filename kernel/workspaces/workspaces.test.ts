import { existsSync, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerForTests } from '../../test/docker.js';
import { tempDir } from '../../test/helpers.js';
import { ensureSandboxImage } from '../images/index.js';
import { Kernel } from '../Kernel.js';

const docker = await dockerForTests('shared workspaces in containers');

// Shared workspaces through the whole kernel: bind mounts in real bubblewrap sandboxes and real containers.
describe('shared workspaces', () => {
  const dir = tempDir('habitat-ws-');
  let kernel: Kernel;
  const events: string[] = [];

  beforeAll(async () => {
    if (docker) await ensureSandboxImage(docker as Dockerode);
    kernel = await Kernel.open({
      dataDir: dir.path,
      mode: 'headless',
      version: 'test',
      termGraceMs: 500,
      warmPool: { size: 0 },
    });
    kernel.events.on('workspace.*', (_payload, topic) => events.push(topic));
  }, 120_000);
  afterAll(async () => {
    await kernel.close();
    dir.cleanup();
  });

  const sh = (pid: number, script: string) =>
    kernel.processes.exec(pid, ['sh', '-c', script], { timeoutMs: 20_000, maxOutputBytes: 65536 });

  it('mounts read-write and read-only into bubblewrap sandboxes; a read-only mount refuses writes (EROFS)', async () => {
    expect(kernel.info().sandbox.hostIsolation).toBe('bubblewrap');
    const team = await kernel.workspaces.create('team');
    expect(team).toMatchObject({ name: 'team', owner: null, grants: [], mounts: [] });
    const writer = await kernel.processes.spawn({
      network: false,
      workspaces: [{ name: 'team', mode: 'rw' }],
    });
    const reader = await kernel.processes.spawn({
      network: false,
      workspaces: [{ name: 'team', mode: 'ro' }],
    });

    expect(
      await sh(writer.pid, 'echo from-writer > shared/team/note.txt && cat shared/team/note.txt'),
    ).toMatchObject({
      exitCode: 0,
      stdout: 'from-writer\n',
    });
    expect(await fsp.readFile(join(team.path, 'note.txt'), 'utf8')).toBe('from-writer\n');
    expect((await sh(reader.pid, 'cat shared/team/note.txt')).stdout).toBe('from-writer\n');
    const refused = await sh(reader.pid, 'echo no > shared/team/note.txt; echo no > shared/team/new.txt');
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(/Read-only file system/);
    expect(await fsp.readFile(join(team.path, 'note.txt'), 'utf8')).toBe('from-writer\n');
    expect(existsSync(join(team.path, 'new.txt'))).toBe(false);

    // a bind mount, never a symlink: on the host the home holds an empty folder
    const point = await fsp.lstat(join(kernel.processes.home(reader.pid), 'shared/team'));
    expect(point.isDirectory()).toBe(true);
    expect(kernel.workspaces.get('team').mounts).toEqual([
      { pid: writer.pid, mode: 'rw' },
      { pid: reader.pid, mode: 'ro' },
    ]);
    expect(kernel.processes.record(writer.pid).config).toMatchObject({
      workspaces: [{ name: 'team', mode: 'rw' }],
    });
  });

  it("the kernel's file API refuses paths into a mounted shared folder instead of using the empty mount point", async () => {
    const crew = await kernel.workspaces.create('crew');
    const agent = await kernel.processes.spawn({
      network: false,
      workspaces: [{ name: 'crew', mode: 'rw' }],
    });
    expect((await sh(agent.pid, 'echo in-sandbox > shared/crew/a.txt')).exitCode).toBe(0);
    const files = kernel.fs(agent.pid);
    for (const attempt of [
      () => files.write('shared/crew/b.txt', 'lost'),
      () => files.read('shared/crew/a.txt'),
      () => files.list('shared/crew'),
      () => files.mkdir('shared/crew/sub'),
      () => files.delete('shared/crew', { recursive: true }),
      () => files.move('notes.txt', 'shared/crew/notes.txt'),
      () => files.copy('shared/crew/a.txt', 'copy.txt'),
    ]) {
      await expect(attempt()).rejects.toMatchObject({
        code: 'E_UNAVAILABLE',
        message: expect.stringContaining('shared/crew is a shared folder'),
      });
    }
    // nothing went to the mount point in the home, the workspace holds what the sandbox wrote
    expect(await fsp.readdir(join(kernel.processes.home(agent.pid), 'shared/crew'))).toEqual([]);
    expect(await fsp.readdir(crew.path)).toEqual(['a.txt']);
    // the rest of shared/ is the home's own
    await files.write('shared/plain.txt', 'mine');
    expect((await files.read('shared/plain.txt')).content).toBe('mine');
  });

  it('lets only the owner and granted agents mount, in the granted mode', async () => {
    const owner = await kernel.processes.spawn({ network: false });
    const stranger = await kernel.processes.spawn({ network: false });
    await kernel.workspaces.create('private', owner.pid);
    await fsp.writeFile(join(kernel.workspaces.get('private').path, 'plan.txt'), 'the plan');

    await expect(kernel.workspaces.mount('private', stranger.pid, 'ro')).rejects.toMatchObject({
      code: 'E_DENIED',
    });
    // without the mount, the folder is simply not there in its sandbox
    expect((await sh(stranger.pid, 'cat shared/private/plan.txt')).exitCode).not.toBe(0);
    const pids = kernel.processes.list().length;
    await expect(
      kernel.processes.spawn({ network: false, workspaces: [{ name: 'private', mode: 'ro' }] }),
    ).rejects.toMatchObject({ code: 'E_DENIED' });
    expect(kernel.processes.list().length).toBe(pids); // refused before a PID was given

    kernel.workspaces.grant('private', stranger.pid, 'ro');
    await expect(kernel.workspaces.mount('private', stranger.pid, 'rw')).rejects.toMatchObject({
      code: 'E_DENIED',
    });
    const mounted = await kernel.workspaces.mount('private', stranger.pid, 'ro');
    expect(mounted).toMatchObject({ target: '/home/agent/shared/private', effective: 'next-exec' });
    expect((await sh(stranger.pid, 'cat shared/private/plan.txt')).stdout).toBe('the plan');
    expect((await sh(stranger.pid, 'touch shared/private/x')).stderr).toMatch(/Read-only file system/);

    // the owner mounts read-write, and may give it to its children
    await kernel.workspaces.mount('private', owner.pid, 'rw');
    expect(
      (await sh(owner.pid, 'echo v2 > shared/private/plan.txt && cat shared/private/plan.txt')).stdout,
    ).toBe('v2\n');
    const child = await kernel.processes.spawn({
      network: false,
      parent: owner.pid,
      workspaces: [{ name: 'private', mode: 'rw' }],
    });
    expect((await sh(child.pid, 'cat shared/private/plan.txt')).stdout).toBe('v2\n');

    await expect(kernel.workspaces.delete('private')).rejects.toMatchObject({ code: 'E_CONFLICT' });
    await kernel.workspaces.delete('private', true);
    expect(existsSync(join(dir.path, 'shared/private'))).toBe(false);
    expect(events).toEqual(
      expect.arrayContaining(['workspace.created', 'workspace.mounted', 'workspace.deleted']),
    );
  });

  it('gives a restored agent the workspaces of its snapshot that it may mount, and says which it may not', async () => {
    const shared = await kernel.workspaces.create('kept');
    await fsp.writeFile(join(shared.path, 'k.txt'), 'kept');
    const agent = await kernel.processes.spawn({
      network: false,
      workspaces: [{ name: 'kept', mode: 'ro' }],
    });
    const info = await kernel.snapshots.create(agent.pid);
    const restored = await kernel.snapshots.restore(info.id);
    expect(restored.warnings).toEqual([]);
    expect(kernel.processes.record(restored.process.pid).config).toMatchObject({
      workspaces: [{ name: 'kept', mode: 'ro' }],
    });
    expect((await sh(restored.process.pid, 'cat shared/kept/k.txt')).stdout).toBe('kept');

    await kernel.workspaces.create('theirs', agent.pid);
    await kernel.workspaces.mount('theirs', agent.pid, 'rw');
    const again = await kernel.snapshots.restore((await kernel.snapshots.create(agent.pid)).id);
    expect(again.warnings).toEqual([
      expect.stringMatching(/workspace theirs not mounted: .*belongs to agent/),
    ]);
    expect(kernel.processes.record(again.process.pid).config).toMatchObject({
      workspaces: [{ name: 'kept', mode: 'ro' }],
    });
    expect(kernel.workspaces.get('theirs').mounts).toEqual([{ pid: agent.pid, mode: 'rw' }]);
  });

  it('refuses names that could leave shared/ and a mount point that is a symlink', async () => {
    await expect(kernel.workspaces.create('../escape')).rejects.toMatchObject({ code: 'E_INVALID' });
    await expect(kernel.workspaces.create('.hidden')).rejects.toMatchObject({ code: 'E_INVALID' });
    await kernel.workspaces.create('linked');
    const agent = await kernel.processes.spawn({ network: false });
    kernel.workspaces.grant('linked', agent.pid, 'rw');
    await fsp.symlink('/tmp', join(kernel.processes.home(agent.pid), 'shared'));
    await expect(kernel.workspaces.mount('linked', agent.pid, 'rw')).rejects.toMatchObject({
      code: 'E_CONFLICT',
    });
  });

  it.skipIf(!docker)(
    'mounts into containers at spawn: read-only refuses writes, and a running container takes no new mounts',
    async () => {
      const ws = await kernel.workspaces.create('boxes');
      await fsp.writeFile(join(ws.path, 'seed.txt'), 'seed\n');
      const rw = await kernel.processes.spawn({
        sandbox: 'docker',
        network: false,
        workspaces: [{ name: 'boxes', mode: 'rw' }],
      });
      const ro = await kernel.processes.spawn({
        sandbox: 'docker',
        network: false,
        workspaces: [{ name: 'boxes', mode: 'ro' }],
      });
      const host = await kernel.processes.spawn({
        network: false,
        workspaces: [{ name: 'boxes', mode: 'ro' }],
      });

      expect(
        await sh(rw.pid, 'cat shared/boxes/seed.txt && echo boxed > shared/boxes/out.txt && id -un'),
      ).toMatchObject({
        exitCode: 0,
        stdout: 'seed\nagent\n',
      });
      expect((await sh(host.pid, 'cat shared/boxes/out.txt')).stdout).toBe('boxed\n');
      const refused = await sh(ro.pid, 'cat shared/boxes/out.txt && touch shared/boxes/nope');
      expect(refused.stdout).toBe('boxed\n');
      expect(refused.stderr).toMatch(/Read-only file system/);
      const mounts = (await docker!.getContainer(ro.sandbox.containerId!).inspect()).Mounts;
      expect(mounts.find((m) => m.Destination === '/home/agent/shared/boxes')).toMatchObject({
        Type: 'bind',
        RW: false,
      });

      const late = await kernel.processes.spawn({ sandbox: 'docker', network: false });
      kernel.workspaces.grant('boxes', late.pid, 'rw');
      await expect(kernel.workspaces.mount('boxes', late.pid, 'rw')).rejects.toMatchObject({
        code: 'E_CONFLICT',
        message: expect.stringMatching(/container.*fixed/),
      });
      for (const pid of [rw.pid, ro.pid, late.pid]) await kernel.processes.signal(pid, 'KILL');
    },
    120_000,
  );
});
