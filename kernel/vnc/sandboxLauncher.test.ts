import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Display } from './Display.js';
import { probeRfb } from './health.js';
import type { ProgramExit } from './launcher.js';
import { cleanupDisplayPrograms, sandboxLauncher, type ProgramSandbox } from './sandboxLauncher.js';
import { displayToolsForTests } from './testing/displayTools.js';

/**
 * A sandbox whose programs are the host's own: spawn and exec as a container's exec API gives them (streams, an
 * exit code with 128+n for a signal, every program tagged), so the launcher runs without Docker.
 */
function hostSandbox(): ProgramSandbox & { spawned: string[][] } {
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HABITAT_TAG: 'agent-tag' };
  const spawned: string[][] = [];
  return {
    spawned,
    spawn(argv, env) {
      spawned.push(argv);
      const child = spawn(argv[0]!, argv.slice(1), {
        env: { ...base, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<number | null>((resolve) => {
        child.once('error', () => resolve(null));
        child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 + osSignal(signal) : null)));
      });
      const close = (): void => {
        child.stdout.destroy();
        child.stderr.destroy();
      };
      return { stdout: child.stdout, stderr: child.stderr, exited, ready: Promise.resolve(), close };
    },
    exec(argv) {
      return new Promise((resolve) => {
        execFile(argv[0]!, argv.slice(1), { env: base }, (error, stdout) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ exitCode: code, stdout });
        });
      });
    },
  };
}

const osSignal = (name: NodeJS.Signals): number =>
  ({ SIGTERM: 15, SIGKILL: 9, SIGINT: 2 })[name as string] ?? 1;

const exitOf = (p: { exited: Promise<ProgramExit> }) =>
  Promise.race([p.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 3_000))]);

describe('the sandbox launcher: display programs through an exec API', () => {
  it('hands every line but its own pid line to listeners, and kills by that pid', async () => {
    const sandbox = hostSandbox();
    const launcher = sandboxLauncher(sandbox);
    const proc = launcher.launch({ command: 'sh', args: ['-c', 'echo one; echo two; exec sleep 30'] });
    const lines: string[] = [];
    proc.onLine((line) => lines.push(line));
    await expect.poll(() => lines).toEqual(['one', 'two']);
    expect(proc.pid).toBeUndefined(); // the kernel cannot signal it directly
    proc.kill('SIGTERM');
    expect(await exitOf(proc)).toEqual({ code: 143, signal: 'SIGTERM' });
  });

  it('takes the program out of the agent-wide signals (no HABITAT_TAG) and marks it as a display program', async () => {
    const launcher = sandboxLauncher(hostSandbox());
    const proc = launcher.launch({
      command: 'sh',
      args: ['-c', 'echo "tag=${HABITAT_TAG-none} marker=$HABITAT_DISPLAY_PROGRAM x=$X"'],
      env: { X: 'y' },
    });
    const lines: string[] = [];
    proc.onLine((line) => lines.push(line));
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(lines).toEqual(['tag=none marker=1 x=y']);
  });

  it('a kill before the program has said its pid reaches it once it has; has() asks command -v', async () => {
    const launcher = sandboxLauncher(hostSandbox());
    const proc = launcher.launch({ command: 'sleep', args: ['30'] });
    proc.kill('SIGKILL');
    expect(await exitOf(proc)).toEqual({ code: 137, signal: 'SIGKILL' });
    expect(await launcher.has('sh')).toBe(true);
    expect(await launcher.has('no-such-program-here')).toBe(false);
  });

  it('closeAll lets go of every program still running (their connections cut, not the programs signalled)', async () => {
    const launcher = sandboxLauncher(hostSandbox());
    const proc = launcher.launch({ command: 'sh', args: ['-c', 'echo up; exec sleep 30'] });
    const lines: string[] = [];
    proc.onLine((line) => lines.push(line));
    await expect.poll(() => lines).toEqual(['up']);
    launcher.closeAll();
    // what the fake's exited says once the streams are gone is up to the program; the streams end at once
    await expect.poll(() => lines.length).toBe(1);
    proc.kill('SIGKILL');
    expect(await exitOf(proc)).toEqual({ code: 137, signal: 'SIGKILL' });
  });

  it('cleanup ends display programs a previous kernel left behind, and nothing else', async () => {
    const sandbox = hostSandbox();
    const leftover = sandboxLauncher(sandbox).launch({ command: 'sleep', args: ['30'] });
    const bystander = spawn('sleep', ['30']);
    await new Promise((r) => setTimeout(r, 200));
    await cleanupDisplayPrograms(sandbox, 987);
    expect(await exitOf(leftover)).toEqual({ code: 137, signal: 'SIGKILL' });
    expect(bystander.exitCode).toBeNull();
    bystander.kill();
  });
});

const haveTools = await displayToolsForTests('VNC displays through the sandbox launcher');

describe.skipIf(!haveTools)('a whole display through the sandbox launcher', () => {
  const dir = mkdtempSync(join(tmpdir(), 'habitat-launcher-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts Xvfb (its -displayfd answer arrives after the pid line), x11vnc, and stops them', async () => {
    const sandbox = hostSandbox();
    const display = new Display({
      launcher: sandboxLauncher(sandbox),
      runDir: join(dir, 'd'),
      windowManagers: [],
    });
    await display.start();
    expect(await probeRfb(display.socketPath)).toBe('RFB 003.008');
    expect(sandbox.spawned.map((argv) => argv[4])).toEqual(['Xvfb', 'x11vnc']);
    await display.stop();
    await expect(probeRfb(display.socketPath, 500)).rejects.toThrow();
  });
});
