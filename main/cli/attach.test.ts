import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { startServe } from '../../test/servedHost.js';
import { EXIT } from './program.js';

// attach with standard input from a pipe or a file: it sends what it reads, then detaches when input ends.
const CLI = ['--import', 'tsx', join(import.meta.dirname, 'index.ts')];
const SLOW = 120_000;

function run(
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c) => (stdout += c));
    child.stderr!.on('data', (c) => (stderr += c));
    // a command that never ends would hang the test: fail it instead
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

describe('habitat attach with input that ends', () => {
  const dir = tempDir();
  const dataDir = join(dir.path, 'data');
  const env = { HABITAT_HOME: dataDir };
  let stop = (): void => {};
  let pid = '';

  beforeAll(async () => {
    const served = await startServe(CLI, dataDir);
    stop = () => served.child.kill('SIGKILL');
    const spawned = await run(['spawn', '--name', 'attached'], env);
    expect(spawned.code, spawned.stderr).toBe(EXIT.ok);
    pid = spawned.stdout.trim();
  }, SLOW);
  afterAll(() => {
    stop();
    dir.cleanup();
  });

  it(
    'sends piped input, prints what the shell answers, then detaches with exit 0; the shell runs on',
    async () => {
      const piped = await run(['attach', pid], env, 'echo hi-$((40+2))\n');
      expect(piped.code, piped.stderr).toBe(EXIT.ok);
      expect(piped.stdout).toContain('hi-42');
      expect(piped.stderr).toContain(`[detached from ${pid}]`);
      // the agent's shell is still there: a second attach with input from /dev/null detaches at once
      const empty = await run(['attach', pid], env, '');
      expect(empty.code, empty.stderr).toBe(EXIT.ok);
      expect(empty.stderr).toContain(`[detached from ${pid}]`);
      const nothing = await run(['attach', pid], env); // stdin 'ignore': /dev/null
      expect(nothing.code, nothing.stderr).toBe(EXIT.ok);
    },
    SLOW,
  );
});
