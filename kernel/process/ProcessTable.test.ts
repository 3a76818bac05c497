import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDir, waitFor } from '../../test/helpers.js';
import { Kernel } from '../Kernel.js';
import { processTree } from '../os/index.js';

/** Real kernels on real data folders: real PTYs, bubblewrap where installed, real signals. */
describe('process table', () => {
  const dirs: ReturnType<typeof tempDir>[] = [];
  const kernels: Kernel[] = [];
  async function open(path?: string): Promise<Kernel> {
    let dataDir = path;
    if (!dataDir) {
      const dir = tempDir();
      dirs.push(dir);
      dataDir = dir.path;
    }
    const kernel = await Kernel.open({ dataDir, mode: 'headless', version: 'test', termGraceMs: 500 });
    kernels.push(kernel);
    return kernel;
  }
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const kernel of kernels.splice(0)) await kernel.close();
    for (const dir of dirs.splice(0)) dir.cleanup();
  });

  const states = (osPid: number) => processTree(osPid).map((m) => m.state[0]);

  it('spawns agents with kernel PIDs backed by real OS processes, and lists them with filters', async () => {
    const kernel = await open();
    const a = await kernel.processes.spawn({ name: 'a', network: false });
    const b = await kernel.processes.spawn({ name: 'b', network: false, parent: a.pid });
    expect([a.pid, b.pid]).toEqual([1, 2]);
    expect(a.state).toBe('running');
    expect(a.sandbox.osPid).toBeGreaterThan(1);
    expect(processTree(a.sandbox.osPid!).length).toBeGreaterThan(0);
    expect(kernel.processes.list({ parent: a.pid }).map((p) => p.pid)).toEqual([b.pid]);
    expect(kernel.processes.list({ states: ['running'] }).map((p) => p.pid)).toEqual([1, 2]);
    expect(kernel.info().agents).toEqual({ total: 2, running: 2 });
    await expect(kernel.processes.spawn({ network: false, parent: 99 })).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
    });
  });

  it('STOP stops every process of the agent (state T), CONT resumes them', async () => {
    const kernel = await open();
    const agent = await kernel.processes.spawn({ network: false });
    const osPid = agent.sandbox.osPid!;
    // a job started in the shell lands in its own process group: it must be stopped too
    await kernel.terminals.get(agent.terminal!).session.write('sleep 300 &\n');
    await waitFor(() => processTree(osPid).some((m) => m.command === 'sleep'), 5000, 'the sleep job');
    const control = kernel.processes.control(agent.pid);

    expect((await kernel.processes.signal(agent.pid, 'STOP')).state).toBe('stopped');
    await waitFor(() => states(osPid).every((s) => s === 'T'), 3000, 'every process stopped');
    expect(control.isPaused).toBe(true);

    expect((await kernel.processes.signal(agent.pid, 'CONT')).state).toBe('running');
    await waitFor(() => states(osPid).every((s) => s !== 'T'), 3000, 'every process resumed');
    expect(control.isPaused).toBe(false);
  });

  it('TERM ends the agent (escalating to KILL after the grace period), and reaping removes the zombie', async () => {
    const kernel = await open();
    const agent = await kernel.processes.spawn({ network: false });
    const osPid = agent.sandbox.osPid!;
    const control = kernel.processes.control(agent.pid);
    await kernel.processes.signal(agent.pid, 'TERM');
    expect(control.terminating).toBe(true);
    await waitFor(() => kernel.processes.get(agent.pid).state === 'zombie', 5000, 'zombie');
    const zombie = kernel.processes.get(agent.pid);
    // TERM ends the sandbox (or, ignored by an interactive shell without one, KILL does): a shell's 128 + signal
    expect([143, 137]).toContain(zombie.exitCode);
    // a shell agent (no goal): bubblewrap takes the TERM as well, so it ends of it, without waiting for KILL
    if (kernel.info().sandbox.hostIsolation === 'bubblewrap') expect(zombie.exitCode).toBe(143);
    expect(zombie.exitReason).toMatch(
      new RegExp(`^(killed by signal ${zombie.exitCode! - 128}|exited with code ${zombie.exitCode})$`),
    );
    expect(zombie.terminal).toBeNull();
    expect(processTree(osPid)).toEqual([]);
    await expect(kernel.processes.signal(agent.pid, 'KILL')).rejects.toThrow(/zombie/);
    expect(kernel.processes.reap(agent.pid).state).toBe('dead');
    expect(kernel.processes.get(agent.pid).state).toBe('dead');
    expect(() => kernel.processes.reap(agent.pid)).toThrow();
  });

  it('KILL ends the agent and all of its processes at once', async () => {
    const kernel = await open();
    const agent = await kernel.processes.spawn({ network: false });
    const osPid = agent.sandbox.osPid!;
    await kernel.terminals.get(agent.terminal!).session.write('(trap "" TERM; sleep 300) &\n');
    await waitFor(() => processTree(osPid).some((m) => m.command === 'sleep'), 5000, 'the sleep job');
    await kernel.processes.signal(agent.pid, 'KILL');
    await waitFor(() => kernel.processes.get(agent.pid).state === 'zombie', 3000, 'zombie');
    // bubblewrap, when its child dies before it does, exits with that child's 128 + signal rather than by the signal
    expect(kernel.processes.get(agent.pid)).toMatchObject({ phase: 'failed', exitCode: 137 });
    expect(kernel.processes.get(agent.pid).exitReason).toMatch(/^(killed by signal 9|exited with code 137)$/);
    await waitFor(() => processTree(osPid).length === 0, 3000, 'no process left');
  });

  it('KILL ends the agent even when its sandbox does not answer, and its removal goes on', async () => {
    const kernel = await open();
    // the sandbox's signals fail, as a container's do while its Docker engine is away
    const create = kernel.sandbox.create.bind(kernel.sandbox);
    const destroyed: number[] = [];
    vi.spyOn(kernel.sandbox, 'create').mockImplementation(async (spec) => {
      const sandbox = await create(spec);
      const { signal, destroy } = {
        signal: sandbox.signal.bind(sandbox),
        destroy: sandbox.destroy.bind(sandbox),
      };
      sandbox.signal = async (which, ...rest) => {
        if (which === 'KILL') throw new Error('connect ECONNREFUSED /var/run/docker.sock');
        return signal(which, ...rest);
      };
      sandbox.destroy = async () => {
        destroyed.push(spec.pid);
        await destroy();
      };
      return sandbox;
    });
    const agent = await kernel.processes.spawn({ network: false });
    const killed = await kernel.processes.signal(agent.pid, 'KILL');
    // ended at once, not left running with its KILL answered as if it had worked
    expect(killed).toMatchObject({ state: 'zombie', phase: 'failed', exitCode: 137 });
    expect(killed.exitReason).toBe(
      'killed (KILL); its sandbox did not answer (connect ECONNREFUSED /var/run/docker.sock) and is being removed',
    );
    const log = kernel.store.latestEvents(agent.pid, 20).map((e) => e.type);
    expect(log).toContain('process.signal.failed');
    await waitFor(() => destroyed.includes(agent.pid), 3000, 'the removal of its sandbox');
    await waitFor(() => processTree(agent.sandbox.osPid!).length === 0, 3000, 'its shell gone');
  });

  it('a take-over (adopt) that fails leaves no live entry behind', async () => {
    const kernel = await open();
    const agent = await kernel.processes.spawn({ network: false });
    const record = { ...kernel.processes.record(agent.pid), pid: 999, sandbox: { kind: 'docker' as const } };
    const sandbox = {
      signal: () => Promise.reject(new Error('the engine timed out')),
    } as unknown as Parameters<typeof kernel.processes.adopt>[1];
    await expect(
      kernel.processes.adopt(record as typeof record & { sandbox: never }, sandbox),
    ).rejects.toThrow('the engine timed out');
    expect(() => kernel.processes.get(999)).toThrow(/no process 999/);
    expect(kernel.processes.livePids()).toEqual(new Set([agent.pid]));
  });

  it('closing the kernel ends every agent with all of its processes, TERM-proof jobs included', async () => {
    const kernel = await open();
    const agents = await Promise.all(
      Array.from({ length: 6 }, () => kernel.processes.spawn({ network: false })),
    );
    for (const agent of agents) {
      await kernel.terminals.get(agent.terminal!).session.write('(trap "" TERM; sleep 300) &\n');
    }
    const roots = agents.map((agent) => agent.sandbox.osPid!);
    await waitFor(
      () => roots.every((osPid) => processTree(osPid).some((m) => m.command === 'sleep')),
      5000,
      'a sleep job in every agent',
    );
    kernels.splice(kernels.indexOf(kernel), 1);
    await kernel.close();
    await waitFor(() => roots.every((osPid) => processTree(osPid).length === 0), 3000, 'no process left');
  });

  it('exec runs a command in the sandbox with its exit code, output cap and timeout', async () => {
    const kernel = await open();
    const agent = await kernel.processes.spawn({ network: false });
    const ok = await kernel.processes.exec(agent.pid, ['sh', '-c', 'echo out; echo err >&2; exit 7'], {
      timeoutMs: 5000,
      maxOutputBytes: 1024,
    });
    expect(ok).toMatchObject({
      exitCode: 7,
      stdout: 'out\n',
      stderr: 'err\n',
      truncated: false,
      timedOut: false,
    });
    const capped = await kernel.processes.exec(agent.pid, ['sh', '-c', 'yes | head -c 100000'], {
      timeoutMs: 5000,
      maxOutputBytes: 100,
    });
    expect(capped.stdout).toHaveLength(100);
    expect(capped.truncated).toBe(true);
    const slow = await kernel.processes.exec(agent.pid, ['sleep', '30'], {
      timeoutMs: 200,
      maxOutputBytes: 100,
    });
    expect(slow.timedOut).toBe(true);
    const log = kernel.store.latestEvents(agent.pid, 10).map((e) => e.type);
    expect(log).toContain('process.exec.result');
  });

  it('refuses signals to unknown PIDs and exec while stopped', async () => {
    const kernel = await open();
    await expect(kernel.processes.signal(42, 'KILL')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    const agent = await kernel.processes.spawn({ network: false });
    await kernel.processes.signal(agent.pid, 'STOP');
    await expect(
      kernel.processes.exec(agent.pid, ['true'], { timeoutMs: 1000, maxOutputBytes: 10 }),
    ).rejects.toMatchObject({ code: 'E_CONFLICT' });
  });

  it('never reuses a PID after the kernel restarts on the same data folder', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const first = await open(dir.path);
    const a = await first.processes.spawn({ network: false });
    const b = await first.processes.spawn({ network: false });
    await first.close();
    kernels.splice(kernels.indexOf(first), 1);
    const second = await open(dir.path);
    const c = await second.processes.spawn({ network: false });
    expect(c.pid).toBeGreaterThan(b.pid);
    expect(second.processes.get(a.pid).state).not.toBe('running');
  });
});
