import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test/helpers.js';
import { CLI, servedCli } from '../../test/servedCli.js';
import { startServe } from '../../test/servedHost.js';
import { EXIT } from './context.js';

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
