import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test/helpers.js';
import { CLI, servedCli } from '../../test/servedCli.js';
import { startServe } from '../../test/servedHost.js';
import { EXEC_MAX_INPUT_BYTES } from '../../shared/protocol/index.js';
import { EXIT } from './context.js';

/** Whether a Docker engine answers and has the sandbox image (else the container cases are skipped). */
function dockerUsable(): boolean {
  try {
    execFileSync('docker', ['image', 'inspect', 'habitat/sandbox:base'], {
      stdio: 'ignore',
      timeout: 10_000,
    });
    return true;
  } catch {
    return process.env.HABITAT_REQUIRE_DOCKER === '1';
  }
}

/** A CLI subprocess whose output is read as it comes. */
function follow(args: string[]): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [...CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

/** Resolves with the exit code, or rejects if the child is still running after `ms`. */
function within(exited: Promise<number | null>, ms: number, what: string): Promise<number | null> {
  return Promise.race([
    exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} still running`)), ms)),
  ]);
}

describe('habitat logs -f ends when the process or the host does', () => {
  const { run, json, dataDir } = servedCli();

  it('-f exits 0 after the process ends, its exit printed', async () => {
    const pid = (await json(['spawn'])).pid as number;
    const follower = follow(['--data-dir', dataDir, 'logs', '-f', String(pid)]);
    try {
      await waitFor(() => follower.out().includes('process.started'), 10_000, 'history');
      expect((await run(['kill', '-s', 'KILL', String(pid)])).code).toBe(EXIT.ok);
      expect(await within(follower.exited, 10_000, 'logs -f')).toBe(EXIT.ok);
      expect(follower.out()).toMatch(/process\.started[\s\S]*process\.exited/);
    } finally {
      follower.child.kill('SIGKILL');
    }
  });

  it('-f on a process that has already ended prints its log and exits 0', async () => {
    const pid = (await json(['spawn'])).pid as number;
    await run(['kill', '-s', 'KILL', String(pid)]);
    for (let tries = 0; tries < 100; tries++) {
      const all = await json(['ps', '-a']);
      if (all.find((p: { pid: number }) => p.pid === pid).state === 'zombie') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const follower = follow(['--data-dir', dataDir, '--json', 'logs', '-f', String(pid)]);
    expect(await within(follower.exited, 10_000, 'logs -f')).toBe(EXIT.ok);
    const types = follower
      .out()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).type);
    expect(types).toContain('process.started');
    expect(types.at(-1)).toBe('process.exited');
  });

  it('-f exits 3 when the host goes away, like watch', async () => {
    const dir = tempDir('habitat-logs-');
    const own = await startServe(CLI, join(dir.path, 'data'));
    try {
      const spawned = await new Promise<string>((resolve) => {
        const child = spawn(process.execPath, [...CLI, '--data-dir', join(dir.path, 'data'), 'spawn']);
        let out = '';
        child.stdout.on('data', (c) => (out += c));
        child.on('close', () => resolve(out.trim()));
      });
      const follower = follow(['--data-dir', join(dir.path, 'data'), 'logs', '-f', spawned]);
      await waitFor(() => follower.out().includes('process.started'), 10_000, 'history');
      own.child.kill('SIGKILL');
      expect(await within(follower.exited, 10_000, 'logs -f'), follower.out()).toBe(EXIT.unavailable);
    } finally {
      own.child.kill('SIGKILL');
      dir.cleanup();
    }
  });
});

/** Runs the CLI with `input` on its stdin; its output as bytes. */
function runBytes(
  dataDir: string,
  args: string[],
  input: Buffer | string = '',
): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, '--data-dir', dataDir, ...args]);
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c) => (stderr += c));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr }));
  });
}

describe('habitat exec carries bytes, input, limits and timeouts faithfully', () => {
  const { json, dataDir } = servedCli();
  const exec = (pid: number, argv: string[], input?: Buffer | string, flags: string[] = []) =>
    runBytes(dataDir, ['exec', ...flags, String(pid), '--', ...argv], input);

  it('stdout is carried byte for byte, stdin is passed with -i and only then', async () => {
    const pid = (await json(['spawn'])).pid as number;
    const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7 + 255) % 256));
    const echoed = await exec(pid, ['cat'], bytes, ['-i']);
    expect(echoed.code).toBe(0);
    expect(echoed.stdout.equals(bytes)).toBe(true);
    const ff = await exec(pid, ['printf', '\\377\\376']);
    expect([...ff.stdout]).toEqual([0xff, 0xfe]);
    expect((await exec(pid, ['cat'], 'x\n', ['--stdin'])).stdout.toString()).toBe('x\n');
    // without -i standard input is left alone, as a script's read loop needs: the command sees its end at once
    expect((await exec(pid, ['cat'], 'x\n')).stdout.length).toBe(0);
    // --json keeps its shape: the output as text
    const asJson = await runBytes(dataDir, ['--json', 'exec', '-i', String(pid), '--', 'cat'], 'héllo');
    expect(JSON.parse(asJson.stdout.toString())).toMatchObject({ exitCode: 0, stdout: 'héllo', stderr: '' });
  });

  it('input over the protocol limit is refused before anything runs', async () => {
    const pid = (await json(['spawn'])).pid as number;
    const big = Buffer.alloc(EXEC_MAX_INPUT_BYTES + 1, 0x61);
    const refused = await exec(pid, ['sh', '-c', 'cat > ran.txt'], big, ['-i']);
    expect(refused.code).toBe(EXIT.error);
    expect(refused.stderr).toContain('E_LIMIT');
    expect((await runBytes(dataDir, ['fs', 'ls', String(pid)])).stdout.toString()).not.toContain('ran.txt');
    const fits = await exec(pid, ['wc', '-c'], big.subarray(1), ['-i']);
    expect(fits.stdout.toString().trim()).toBe(String(EXEC_MAX_INPUT_BYTES));
  });

  it('output cut at --max-output exits 1 and says so; a larger --max-output keeps it whole', async () => {
    const pid = (await json(['spawn'])).pid as number;
    const argv = ['head', '-c', String(3 * 1024 * 1024), '/dev/urandom'];
    const cut = await exec(pid, argv);
    expect(cut.code).toBe(EXIT.error);
    expect(cut.stdout.length).toBe(1024 * 1024);
    expect(cut.stderr).toContain('E_LIMIT: output cut at 1048576 bytes');
    const whole = await exec(pid, argv, '', ['--max-output', '8m']);
    expect(whole.code).toBe(0);
    expect(whole.stdout.length).toBe(3 * 1024 * 1024);
    const failing = await exec(pid, ['sh', '-c', 'head -c 2000 /dev/zero; exit 3'], '', [
      '--max-output',
      '1k',
    ]);
    expect(failing.code).toBe(3); // its own failure is kept
    expect((await exec(pid, ['true'], '', ['--max-output', '9m'])).code).toBe(EXIT.usage);
  });

  it('a timeout exits 124 and a missing command 127, on the host', async () => {
    const pid = (await json(['spawn'])).pid as number;
    const slow = await exec(pid, ['sleep', '10'], '', ['--timeout', '300']);
    expect(slow.code).toBe(124);
    expect(slow.stderr).toContain('E_TIMEOUT');
    const missing = await exec(pid, ['no-such-command-here']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('no-such-command-here');
    expect((await exec(pid, ['sh', '-c', 'kill -9 $$'])).code).toBe(137);
  });

  it.skipIf(!dockerUsable())('a timeout exits 124 and a missing command 127, in a container', async () => {
    const pid = (await json(['spawn', '--sandbox', 'docker'])).pid as number;
    const slow = await exec(pid, ['sleep', '10'], '', ['--timeout', '300']);
    expect(slow.code).toBe(124);
    expect((await exec(pid, ['no-such-command-here'])).code).toBe(127);
    const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => 255 - (i % 256)));
    expect((await exec(pid, ['cat'], bytes, ['-i'])).stdout.equals(bytes)).toBe(true);
  });

  it('without -i it leaves standard input alone: a pipe left open does not hold it, a read loop keeps its lines', async () => {
    const pid = (await json(['spawn'])).pid as number;
    // a pipe nobody closes (what execFile and many supervisors hand a child)
    const ran = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [
        ...CLI,
        '--data-dir',
        dataDir,
        'exec',
        String(pid),
        '--',
        'echo',
        'hi',
      ]);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      let stdout = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.on('close', (code) => {
        clearTimeout(timer);
        child.stdin.destroy();
        resolve({ code, stdout });
      });
    });
    expect(ran).toEqual({ code: 0, stdout: 'hi\n' });
    // a shell loop reading its own input runs once per line, not once in all
    const habitat = [process.execPath, ...CLI, '--data-dir', dataDir].map((a) => `'${a}'`).join(' ');
    const loop = await new Promise<string>((resolve) => {
      const child = spawn('/bin/sh', ['-c', `while read x; do ${habitat} exec ${pid} -- echo got-$x; done`]);
      let stdout = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.on('close', () => resolve(stdout));
      child.stdin.end('1\n2\n3\n');
    });
    expect(loop).toBe('got-1\ngot-2\ngot-3\n');
  });
});
