import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { EXIT } from '../main/cli/context.js';
import { tempDir } from './helpers.js';
import { startServe } from './servedHost.js';

/** The CLI from its sources, through tsx. */
export const CLI = ['--import', 'tsx', join(import.meta.dirname, '..', 'main', 'cli', 'index.ts')];

export type CliRun = { code: number | null; stdout: string; stderr: string };

/** Runs the CLI once with `env` added to this process's environment, standard input closed. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * For a vitest suite: a served host (`habitat serve`, its environment `env`) started before its tests and stopped
 * after, and the CLI run as a real subprocess against it.
 */
export function servedCli(env: NodeJS.ProcessEnv = process.env, prefix = 'habitat-cli-') {
  const dir = tempDir(prefix);
  const dataDir = join(dir.path, 'data');
  let server: ChildProcess;

  /** Runs `habitat --data-dir <its data folder> ...args`, `input` on its stdin. */
  const run = (args: string[], input = ''): Promise<CliRun> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [...CLI, '--data-dir', dataDir, ...args]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      child.stdin.end(input);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  /** Runs it with --json, expects success, and parses what it printed. */
  const json = async (args: string[]) => {
    const result = await run(['--json', ...args]);
    expect(result.code, result.stderr + result.stdout).toBe(EXIT.ok);
    return JSON.parse(result.stdout);
  };

  beforeAll(async () => {
    server = (await startServe(CLI, dataDir, 'pipe', env)).child;
  });
  afterAll(async () => {
    const exited = new Promise((r) => server.once('exit', r));
    server.kill('SIGTERM');
    await exited;
    dir.cleanup();
  });
  return { run, json, dataDir, dir };
}
