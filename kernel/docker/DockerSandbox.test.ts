import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HabitatError } from '../../shared/protocol/index.js';
import { dockerForTests } from '../../test/docker.js';
import { TerminalSession } from '../pty/index.js';
import type { ContainerAgent } from './ContainerAgent.js';
import { dockerTestbed, IMAGE_BUILD_TIMEOUT_MS, recordTerminal, type Testbed } from './testing/testbed.js';

const docker = await dockerForTests('docker sandbox');

async function errorOf(promise: Promise<unknown>): Promise<HabitatError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HabitatError);
  return error as HabitatError;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!docker)('docker sandbox: one agent container', () => {
  let bed: Testbed;
  let agent: ContainerAgent;
  let home: string;
  const run = async (script: string) =>
    agent.exec(['bash', '-c', script], { timeoutMs: 10_000, maxOutputBytes: 65_536 });

  beforeAll(async () => {
    bed = await dockerTestbed(docker!, 'sandbox');
    home = await bed.home(1);
    agent = await bed.sandbox.create({ pid: 1, bootId: bed.bootId, home, network: false });
    await agent.start();
  }, IMAGE_BUILD_TIMEOUT_MS);
  afterAll(async () => bed?.cleanup());

  it('creates and starts a locked-down, labelled container', async () => {
    const info = await agent.inspect();
    expect(info.State.Running).toBe(true);
    expect(info.Config.User).toBe('1000:1000');
    expect(info.Config.Labels).toMatchObject({
      'dev.habitat.managed': '1',
      'dev.habitat.pid': '1',
      'dev.habitat.boot': bed.bootId,
      'dev.habitat.instance': bed.instance,
    });
    const host = info.HostConfig;
    expect(host.NetworkMode).toBe('none');
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.SecurityOpt).toEqual(['no-new-privileges']);
    expect(host.Privileged).toBe(false);
    expect(host.Init).toBe(true);
    expect(info.Mounts.map((m) => m.Source)).toEqual([home]);
    expect(JSON.stringify(info)).not.toContain('docker.sock');

    const inside = await run(
      'id -u; grep -E "^(CapEff|NoNewPrivs)" /proc/self/status; hostname; echo $HOME; pwd',
    );
    expect(inside.exitCode).toBe(0);
    expect(inside.stdout.split('\n')).toEqual([
      '1000',
      'CapEff:\t0000000000000000',
      'NoNewPrivs:\t1',
      'agent-1',
      '/home/agent',
      '/home/agent',
      '',
    ]);
  });

  it('binds the home: the agent reads what the kernel put there and writes files the host sees', async () => {
    const result = await run(
      'head -1 README.md >/dev/null && echo written > note.txt && ls -ld . | cut -c1-10',
    );
    expect(result.exitCode).toBe(0);
    expect(readFileSync(join(home, 'note.txt'), 'utf8')).toBe('written\n');
    expect(statSync(join(home, 'note.txt')).uid).toBe(statSync(home).uid);
    expect(statSync(home).uid).not.toBe(0);
  });

  it('hides the GPUs from an agent without, even when its image names every GPU (as nvidia/cuda images do)', async () => {
    const tag = `habitat-test/cuda-like:${bed.instance}`;
    await docker!.getContainer(agent.id).commit({
      repo: 'habitat-test/cuda-like',
      tag: bed.instance,
      pause: false,
      changes: 'ENV NVIDIA_VISIBLE_DEVICES=all',
    });
    try {
      const cuda = await bed.agent(40, { image: tag });
      expect((await docker!.getImage(tag).inspect()).Config.Env).toContain('NVIDIA_VISIBLE_DEVICES=all');
      const env = await cuda.exec(
        ['bash', '-c', 'echo "[$NVIDIA_VISIBLE_DEVICES] [${CUDA_VISIBLE_DEVICES-unset}]"'],
        {
          timeoutMs: 10_000,
          maxOutputBytes: 1024,
        },
      );
      expect(env.stdout).toBe('[void] []\n');
      await cuda.remove();
    } finally {
      await docker!.getImage(tag).remove({ force: true });
    }
  });

  it('gives a terminal: typed input comes back, resize reaches the program, UTF-8 arrives whole', async () => {
    const terminal = agent.openTerminal({ cols: 80, rows: 24 });
    const screen = recordTerminal(terminal);
    await terminal.ready;
    terminal.write('echo hi-$((6*7))\n');
    await screen.waitFor('hi-42');
    terminal.resize(100, 40);
    await sleep(100);
    terminal.write('stty size\n');
    await screen.waitFor('40 100');
    terminal.write("printf '%s\\n' 'héllo ✓ 日本'\n");
    await screen.waitFor(/héllo ✓ 日本\r?\n/);
    expect(screen.text()).not.toContain('\uFFFD');
    terminal.write('exit 3\n');
    expect(await screen.exited).toBe(3);
  });

  it('holds the program back while its terminal is paused (flow control), and loses nothing', async () => {
    const done = join(home, 'seq-done');
    const terminal = agent.openTerminal({
      cols: 80,
      rows: 24,
      argv: ['bash', '-c', 'seq 1 400000; touch /home/agent/seq-done; echo END'],
    });
    const screen = recordTerminal(terminal);
    await screen.waitFor('1000\r\n');
    terminal.pause();
    await sleep(1000); // unblocked, the 2.7 MB take a fraction of that
    expect(existsSync(done)).toBe(false); // the program is blocked writing to its TTY
    expect(screen.text().length).toBeLessThan(1_500_000);
    terminal.resume();
    expect(await screen.exited).toBe(0);
    expect(existsSync(done)).toBe(true);
    const numbers = screen.text().split('\r\n');
    expect(numbers.slice(-3)).toEqual(['400000', 'END', '']);
    expect(numbers.filter((line) => /^\d+$/.test(line)).length).toBe(400_000);
  });

  it('closes a terminal like a window: hang-up, then the program and its children are gone', async () => {
    const terminal = agent.openTerminal({ cols: 80, rows: 24 });
    const screen = recordTerminal(terminal);
    terminal.write('sleep 41 & echo started\n');
    await screen.waitFor('started');
    await terminal.close(1000);
    expect(await screen.exited).toBeGreaterThan(128);
    expect((await run('ps -eo args | grep -c "^sleep 41" || true')).stdout.trim()).toBe('0');
  });

  it('works under the kernel TerminalSession through its PtySpawner', async () => {
    const session = new TerminalSession(agent.ptySpawner(), {
      file: 'bash',
      args: ['-i'],
      cols: 80,
      rows: 24,
    });
    let text = '';
    session.attach((data) => (text += data), { flowControl: false });
    await session.write('echo session-$((2+3))\n');
    const deadline = Date.now() + 10_000;
    while (!text.includes('session-5') && Date.now() < deadline) await sleep(20);
    expect(text).toContain('session-5');
    await session.write('exit\n');
    expect((await session.exited()).exitCode).toBe(0);
    await session.dispose();
  });

  it('runs a command: exit code, separate output streams, input, truncation', async () => {
    const result = await run('echo out; echo err >&2; exit 7');
    expect(result).toMatchObject({
      exitCode: 7,
      stdout: 'out\n',
      stderr: 'err\n',
      truncated: false,
      timedOut: false,
    });
    const input = await agent.exec(['tr', 'a-z', 'A-Z'], {
      timeoutMs: 5000,
      maxOutputBytes: 100,
      input: 'shout\n',
    });
    expect(input.stdout).toBe('SHOUT\n');
    const big = await agent.exec(['bash', '-c', 'head -c 100000 /dev/zero | tr "\\0" x'], {
      timeoutMs: 5000,
      maxOutputBytes: 1000,
    });
    expect(big.stdout.length).toBe(1000);
    expect(big.truncated).toBe(true);
  });

  it('kills a command at its timeout, with everything it started', async () => {
    const started = Date.now();
    const result = await agent.exec(['bash', '-c', 'sleep 31 & sleep 32; echo never'], {
      timeoutMs: 500,
      maxOutputBytes: 1000,
    });
    expect(result.timedOut).toBe(true);
    expect(result.stdout).not.toContain('never');
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await run('ps -eo args | grep -c "^sleep 3[12]" || true')).stdout.trim()).toBe('0');
  });

  it('STOP pauses the container (every process frozen) and CONT resumes it', async () => {
    const terminal = agent.openTerminal({
      cols: 80,
      rows: 24,
      argv: ['bash', '-c', 'while :; do echo tick; sleep 0.05; done'],
    });
    const screen = recordTerminal(terminal);
    await screen.waitFor('tick');
    await agent.pause();
    const info = await agent.inspect();
    expect(info.State.Paused).toBe(true);
    expect((await agent.state()).paused).toBe(true);
    const freezer = `/sys/fs/cgroup/freezer/docker/${agent.id}/freezer.state`;
    if (existsSync(freezer)) expect(readFileSync(freezer, 'utf8').trim()).toBe('FROZEN');
    await sleep(150);
    const frozenAt = screen.text().length;
    await sleep(400);
    expect(screen.text().length).toBe(frozenAt);
    expect((await errorOf(run('true'))).code).toBe('E_CONFLICT');
    expect((await errorOf(agent.signal('TERM'))).code).toBe('E_CONFLICT');
    await agent.pause(); // idempotent

    await agent.unpause();
    await agent.unpause(); // idempotent
    expect((await agent.state()).paused).toBe(false);
    await screen.waitFor(new RegExp(`^[\\s\\S]{${frozenAt}}[\\s\\S]*tick`));
    terminal.kill('SIGKILL');
    expect(await screen.exited).toBe(137);
  });

  it('a pause waits for execs being started (it would wedge the engine), and terminals opened while paused start after CONT', async () => {
    for (let round = 0; round < 5; round++) {
      // asked before the pause: each must run whole, never be frozen halfway through its start
      const execs = [1, 2, 3].map((n) => run(`echo exec-${round}-${n}`));
      const started = agent.openTerminal({ cols: 80, rows: 24, argv: ['echo', `early-${round}`] });
      const early = recordTerminal(started);
      await agent.pause();
      // opened while paused: waits for CONT instead of failing (exit 126)
      const late = recordTerminal(
        agent.openTerminal({ cols: 80, rows: 24, argv: ['echo', `late-${round}`], gate: agent }),
      );
      await sleep(100);
      expect(late.text()).toBe('');
      // the engine still answers about the container: not wedged
      expect((await agent.state()).paused).toBe(true);
      await agent.unpause();
      const results = await Promise.all(execs);
      expect(results.map((r) => [r.exitCode, r.stdout])).toEqual(
        [1, 2, 3].map((n) => [0, `exec-${round}-${n}\n`]),
      );
      await early.waitFor(`early-${round}`);
      await late.waitFor(`late-${round}`);
      expect(await late.exited).toBe(0);
    }
  });

  it('a terminal closed while it waits for a paused container never starts', async () => {
    await agent.pause();
    const terminal = agent.openTerminal({
      cols: 80,
      rows: 24,
      argv: ['bash', '-c', 'echo started > ~/never-started'],
      gate: agent,
    });
    const screen = recordTerminal(terminal);
    await terminal.close();
    expect(await screen.exited).toBe(129);
    await agent.unpause();
    await sleep(300);
    expect(existsSync(join(home, 'never-started'))).toBe(false);
  });

  it('signals the programs it started, and only those', async () => {
    const terminal = agent.openTerminal({
      cols: 80,
      rows: 24,
      argv: ['bash', '-c', 'trap "echo got-term; exit 5" TERM; echo ready; while :; do sleep 0.05; done'],
    });
    const screen = recordTerminal(terminal);
    await screen.waitFor('ready');
    expect(await agent.signal('SIGTERM')).toBeGreaterThanOrEqual(1);
    await screen.waitFor('got-term');
    expect(await screen.exited).toBe(5);
    expect((await agent.state()).running).toBe(true); // the keep-alive process never gets it
    expect((await errorOf(agent.signal('SIGNOPE'))).code).toBe('E_INVALID');
  });

  it('refuses a second container for the same agent, and a missing image with how to build it', async () => {
    const again = await errorOf(bed.sandbox.create({ pid: 1, bootId: bed.bootId, home, network: false }));
    expect(again.code).toBe('E_CONFLICT');
    const missing = await errorOf(
      bed.sandbox.create({
        pid: 99,
        bootId: bed.bootId,
        home,
        network: false,
        image: 'habitat/no-such:image',
      }),
    );
    expect(missing.code).toBe('E_NOT_FOUND');
    expect(missing.message).toContain('habitat image build');
  });

  it('KILL ends even a paused container, at once; removal is idempotent and leaves nothing', async () => {
    const victim = await bed.agent(2);
    const terminal = victim.openTerminal({ cols: 80, rows: 24 });
    const screen = recordTerminal(terminal);
    await terminal.ready;
    await victim.pause();
    const started = Date.now();
    await victim.kill();
    expect(Date.now() - started).toBeLessThan(5000);
    const state = await victim.state();
    expect(state.running).toBe(false);
    expect(state.exitCode).toBe(137);
    await screen.exited;
    await victim.kill(); // idempotent
    await victim.remove();
    await victim.remove();
    const left = await bed.sandbox.listManaged();
    expect(left.map((c) => c.pid)).not.toContain(2);
  });

  /** An agent whose program writes bye.txt in its home when TERM reaches it, then exits. */
  const startTrapping = async (pid: number): Promise<ContainerAgent> => {
    const trapping = await bed.agent(pid);
    const terminal = trapping.openTerminal({
      cols: 80,
      rows: 24,
      argv: [
        'bash',
        '-c',
        'trap "echo bye > /home/agent/bye.txt; exit 0" TERM; echo up; while :; do sleep 0.05; done',
      ],
    });
    await recordTerminal(terminal).waitFor('up');
    return trapping;
  };

  it('TERM with a grace period lets programs clean up, then the container ends', async () => {
    const graceful = await startTrapping(3);
    await graceful.pause(); // TERM reaches a stopped agent too: it is continued first
    await graceful.stop(3000);
    expect((await graceful.state()).running).toBe(false);
    expect(readFileSync(join(home, '..', '3', 'bye.txt'), 'utf8')).toBe('bye\n');
  });

  it('a TERM the daemon fails to deliver is tried again: the programs still get their grace period', async () => {
    const agent4 = await startTrapping(4);
    // the first exec that carries the TERM fails, as it may on a busy daemon
    const container = (agent4 as unknown as { container: Dockerode.Container }).container;
    const exec = container.exec.bind(container);
    let failures = 0;
    container.exec = ((options: Dockerode.ExecCreateOptions) => {
      if (failures === 0 && options.Cmd?.includes('TERM')) {
        failures++;
        return Promise.reject(new Error('the daemon is busy'));
      }
      return exec(options);
    }) as typeof container.exec;
    await agent4.stop(3000);
    expect(failures).toBe(1);
    expect((await agent4.state()).running).toBe(false);
    expect(readFileSync(join(home, '..', '4', 'bye.txt'), 'utf8')).toBe('bye\n');
  });

  it('re-attaches to its own containers only', async () => {
    const attached = await bed.sandbox.attach(agent.id);
    expect(attached.pid).toBe(1);
    expect((await attached.exec(['echo', 'again'], { timeoutMs: 5000, maxOutputBytes: 100 })).stdout).toBe(
      'again\n',
    );
    expect((await errorOf(bed.sandbox.attach('no-such-container'))).code).toBe('E_NOT_FOUND');
  });
});
