import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureSandboxImage, Kernel, parseManifest, type Manifest } from '../../kernel/index.js';
import type { SnapshotInfo } from '../../shared/protocol/index.js';
import { dockerForTests } from '../../test/docker.js';
import { tempDir, waitFor } from '../../test/helpers.js';
import { AgentSupervisor } from './AgentSupervisor.js';
import { recordAgentEvents } from '../testing/agentEvents.js';

const docker = await dockerForTests('checkpoints of container agents');
const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** Every file and folder under root (never following links), home-relative: files by sha256. */
async function digest(root: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await fsp.readdir(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        found.set(path, 'dir');
        await walk(path);
      } else if (entry.isFile()) found.set(path, sha(await fsp.readFile(join(root, path))));
      else if (entry.isSymbolicLink()) found.set(path, `-> ${await fsp.readlink(join(root, path))}`);
    }
  };
  await walk('');
  return found;
}

/** The same view of a snapshot's manifest: what a home restored from it must hold. */
function digestOf(manifest: Manifest): Map<string, string> {
  return new Map(
    manifest.entries.map((e) => [
      e.path,
      e.type === 'dir' ? 'dir' : e.type === 'file' ? e.hash : `-> ${e.target}`,
    ]),
  );
}

// Automatic checkpoints and rollback on real agents: the offline planner's loop, the supervisor, real sandboxes.
describe('checkpoints and rollback of running agents', () => {
  const dirs: ReturnType<typeof tempDir>[] = [];
  const kernels: Kernel[] = [];
  const supervisors: AgentSupervisor[] = [];
  const open = async (dataDir?: string): Promise<Kernel> => {
    if (!dataDir) {
      const dir = tempDir('habitat-checkpoints-');
      dirs.push(dir);
      dataDir = dir.path;
    }
    const kernel = await Kernel.open({
      dataDir,
      mode: 'headless',
      version: 'test',
      termGraceMs: 500,
      warmPool: { size: 0 },
    });
    kernels.push(kernel);
    return kernel;
  };
  const supervise = (kernel: Kernel) => {
    const agents = new AgentSupervisor(kernel, { env: {} });
    supervisors.push(agents);
    return agents;
  };
  const events = recordAgentEvents;
  const checkpoints = async (kernel: Kernel, pid: number): Promise<SnapshotInfo[]> => {
    await kernel.snapshots.settled();
    return (await kernel.snapshots.list({ pid })).snapshots.filter((s) => s.kind === 'checkpoint');
  };
  const manifestOf = async (kernel: Kernel, info: SnapshotInfo) =>
    parseManifest(await kernel.snapshots.store.readVerified(info.manifest, 1 << 26));
  const conversation = (kernel: Kernel, pid: number) => kernel.store.messages(pid).map((m) => m.message);
  const ended = (kernel: Kernel, pid: number) =>
    waitFor(() => kernel.processes.get(pid).state === 'zombie', 30_000, `process ${pid} to end`);

  afterEach(async () => {
    for (const agents of supervisors.splice(0)) await agents.close();
    for (const kernel of kernels.splice(0)) await kernel.close().catch(() => {});
    for (const dir of dirs.splice(0)) dir.cleanup();
  });

  // steps: 1 write a.txt, 2 write b.txt, 3 mkdir scratch, 4 append to a.txt, 5 rm -r scratch (waits for a person)
  const GOAL =
    'write "one" to a.txt, then write "two" to b.txt, then make a folder called scratch, then append "three" to ' +
    'a.txt, then delete scratch/';

  it('takes a checkpoint after every step; rollback puts back files (by sha256) and conversation, and the run goes on from there', async () => {
    const kernel = await open();
    const agents = supervise(kernel);
    const seen = events(kernel, 1);
    const agent = await agents.spawn({ network: false, goal: GOAL, checkpoints: { keep: 20 } }, {});
    const { pid } = agent;
    const home = kernel.processes.home(pid);
    await waitFor(() => agents.approvals(pid).length === 1, 20_000, 'the approval of rm -r');
    const taken = await checkpoints(kernel, pid);
    expect(taken.map((c) => [c.step, c.label, c.quiesced, c.agentState])).toEqual(
      [1, 2, 3, 4].map((n) => [n, `step ${n}`, true, true]),
    );

    // each checkpoint holds the files and conversation as after its step
    const second = await manifestOf(kernel, taken[1]!);
    const at2 = digestOf(second);
    expect(at2.get('a.txt')).toBe(sha('one\n'));
    expect(at2.get('b.txt')).toBe(sha('two\n'));
    expect(at2.has('scratch')).toBe(false);
    expect(second.agent?.loop).toEqual({
      step: 2,
      running: true,
      settings: { provider: 'heuristic', approvalPolicy: 'dangerous' },
    });
    expect(
      second.agent?.conversation?.filter((m) => (m as { role: string }).role === 'assistant'),
    ).toHaveLength(2);
    expect(digestOf(await manifestOf(kernel, taken[3]!)).get('a.txt')).toBe(sha('one\nthree\n'));

    // waiting for a person is mid-step: refused, nothing touched
    await expect(kernel.snapshots.rollback(pid, taken[1]!.id, { waitMs: 200 })).rejects.toMatchObject({
      code: 'E_CONFLICT',
    });
    expect(await fsp.readFile(join(home, 'a.txt'), 'utf8')).toBe('one\nthree\n');

    // stopped, its step ends (denied): the loop rests at the boundary, checkpointed, and can go back
    await kernel.processes.signal(pid, 'STOP');
    agents.deny(pid, undefined, 'not now');
    const created: SnapshotInfo[] = [];
    kernel.events.on('snapshot.created', (info) => created.push(info as SnapshotInfo));
    await waitFor(() => created.some((c) => c.step === 5), 10_000, 'the checkpoint of step 5');
    expect((await checkpoints(kernel, pid)).map((c) => c.step)).toEqual([1, 2, 3, 4, 5]);

    const result = await kernel.snapshots.rollback(pid, taken[1]!.id);
    expect(result).toMatchObject({ pid, snapshot: taken[1]!.id, step: 2, warnings: [] });
    expect(await digest(home)).toEqual(at2);
    expect(conversation(kernel, pid)).toEqual(second.agent?.conversation);
    expect(kernel.processes.get(pid).state).toBe('stopped'); // it stays as a person left it

    // let go: the run goes on from step 2, does steps 3 to 5 again, and completes
    await kernel.processes.signal(pid, 'CONT');
    await waitFor(() => agents.approvals(pid).length === 1, 20_000, 'the approval, asked again');
    agents.approve(pid);
    await ended(kernel, pid);
    expect(kernel.processes.get(pid)).toMatchObject({ phase: 'completed', exitCode: 0 });
    expect(await fsp.readFile(join(home, 'a.txt'), 'utf8')).toBe('one\nthree\n');
    expect(await fsp.readFile(join(home, 'b.txt'), 'utf8')).toBe('two\n');
    await expect(fsp.stat(join(home, 'scratch'))).rejects.toThrow();
    // one run as far as anyone watching can tell: the replaced loop said nothing, the new one says why it began
    expect(seen.filter((e) => e.type === 'end')).toHaveLength(1);
    expect(seen).toContainEqual(
      expect.objectContaining({ type: 'warning', message: 'rolled back to step 2' }),
    );
    const results = seen.filter((e) => e.type === 'tool.result').map((e) => (e as { tool: string }).tool);
    expect(results).toEqual([
      'write_file',
      'write_file',
      'mkdir',
      'write_file',
      'run_command', // denied
      'mkdir',
      'write_file',
      'run_command',
      'complete',
    ]);
    expect((await checkpoints(kernel, pid)).map((c) => c.step)).toEqual([1, 2, 3, 4, 5, 3, 4, 5]);
  }, 60_000);

  it('keeps only the last N checkpoints, freeing the content only they held', async () => {
    const kernel = await open();
    const agents = supervise(kernel);
    const goal = [1, 2, 3, 4, 5, 6].map((n) => `write "version ${n}" to state.txt`).join(', then ');
    const agent = await agents.spawn(
      { network: false, goal, checkpoints: { keep: 3 } },
      { approvalPolicy: 'never' },
    );
    await ended(kernel, agent.pid);
    expect(kernel.processes.get(agent.pid).exitCode).toBe(0);
    expect((await checkpoints(kernel, agent.pid)).map((c) => c.step)).toEqual([4, 5, 6]);
    const kept = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((n) => kernel.snapshots.store.has(sha(`version ${n}\n`))),
    );
    expect(kept).toEqual([false, false, false, true, true, true]);
  }, 60_000);

  it('keeps checkpoints across a kernel restart: a host agent that ended is restored from one, not rolled back, and its run goes on', async () => {
    const dir = tempDir('habitat-checkpoints-restart-');
    dirs.push(dir);
    const first = await open(dir.path);
    const agents = supervise(first);
    const agent = await agents.spawn({ network: false, goal: GOAL, checkpoints: { keep: 20 } }, {});
    await waitFor(() => agents.approvals(agent.pid).length === 1, 20_000, 'the approval of rm -r');
    await first.snapshots.settled();
    await agents.close();
    supervisors.splice(supervisors.indexOf(agents), 1);
    await first.close();
    kernels.splice(kernels.indexOf(first), 1);

    const second = await open(dir.path);
    const after = supervise(second);
    const taken = await checkpoints(second, agent.pid);
    expect(taken.map((c) => c.step)).toEqual([1, 2, 3, 4]);
    await expect(second.snapshots.rollback(agent.pid, taken[2]!.id)).rejects.toMatchObject({
      code: 'E_CONFLICT',
      message: expect.stringContaining('snapshot restore'),
    });
    const restored = await second.snapshots.restore(taken[2]!.id);
    const manifest = await manifestOf(second, taken[2]!);
    const copy = restored.process.pid;
    // its run goes on from step 3 at once: step 4 appends to a.txt, step 5 waits for a person
    await waitFor(() => after.approvals(copy).length === 1, 20_000, 'the restored run at step 5');
    expect(conversation(second, copy).slice(0, manifest.agent!.conversation!.length)).toEqual(
      manifest.agent?.conversation,
    );
    expect(await fsp.readFile(join(second.processes.home(copy), 'a.txt'), 'utf8')).toBe('one\nthree\n');
    await second.processes.signal(copy, 'KILL');
  }, 60_000);

  it.skipIf(!docker)(
    'rolls back a container agent after a kernel restart: the re-attached container works on the old files',
    async () => {
      await ensureSandboxImage(docker as Dockerode);
      const dir = tempDir('habitat-checkpoints-docker-');
      dirs.push(dir);
      const first = await open(dir.path);
      const before = supervise(first);
      const agent = await before.spawn(
        { sandbox: 'docker', network: false, goal: GOAL, checkpoints: { keep: 20 } },
        {},
      );
      const { pid } = agent;
      await waitFor(() => before.approvals(pid).length === 1, 30_000, 'the approval of rm -r');
      await first.snapshots.settled();

      // the kernel dies (as after SIGKILL): nothing more reaches its database, the container lives on
      first.store.close();
      kernels.splice(kernels.indexOf(first), 1);
      await before.close();
      supervisors.splice(supervisors.indexOf(before), 1);

      const second = await open(dir.path);
      const after = supervise(second); // its run is not resumed: the rollback starts it again
      expect(second.processes.get(pid).state).toBe('running');
      const exec = (script: string) =>
        second.processes.exec(pid, ['sh', '-c', script], { timeoutMs: 20_000, maxOutputBytes: 4096 });
      expect((await exec('id -un')).stdout).toBe('agent\n'); // re-attached and answering
      const taken = await checkpoints(second, pid);
      expect(taken.map((c) => c.step)).toEqual([1, 2, 3, 4]);
      const atStep1 = await manifestOf(second, taken[0]!);

      // its file as it went wrong meanwhile; stopped, so that what the rollback did can be looked at
      const home = second.processes.home(pid);
      await exec('echo ruined > a.txt');
      await second.processes.signal(pid, 'STOP');
      const seen = events(second, pid);
      const result = await second.snapshots.rollback(pid, taken[0]!.id);
      expect(result.step).toBe(1);
      expect(await digest(home)).toEqual(digestOf(atStep1));
      expect(conversation(second, pid)).toEqual(atStep1.agent?.conversation);
      // the restored files belong to the container's user, like the rest of its home
      expect((await fsp.stat(join(home, 'a.txt'))).uid).toBe((await fsp.stat(home)).uid);

      // its run starts again from step 1, in its re-attached container, and redoes steps 2 to 5
      await second.processes.signal(pid, 'CONT');
      await waitFor(() => after.approvals(pid).length === 1, 30_000, 'the approval, asked again');
      after.approve(pid);
      await ended(second, pid);
      expect(second.processes.get(pid)).toMatchObject({ phase: 'completed', exitCode: 0 });
      expect(await fsp.readFile(join(home, 'a.txt'), 'utf8')).toBe('one\nthree\n');
      await expect(fsp.stat(join(home, 'scratch'))).rejects.toThrow();
      const rm = seen.find((e) => e.type === 'tool.result' && e.tool === 'run_command');
      expect(rm).toMatchObject({ ok: true }); // rm -r ran inside the container, on what the rollback put there
      expect(seen).toContainEqual(
        expect.objectContaining({ type: 'warning', message: 'rolled back to step 1' }),
      );
    },
    120_000,
  );
});
