import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { CLI, runCli as run } from '../../test/servedCli.js';
import { startServe } from '../../test/servedHost.js';
import { EXIT } from './program.js';

// A reader that goes away early (`| head -1`, a FIFO closed by its reader): the CLI must neither crash on EPIPE nor,
// for serve, skip its clean shutdown. Real subprocesses with real pipes, closed from this side.
const SLOW = 120_000;

describe('the CLI with a closed standard output', () => {
  const dir = tempDir();
  afterAll(() => dir.cleanup());

  it(
    'logs -f stops quietly, exit 0, when its reader has gone; serve shuts down cleanly on SIGINT after it',
    async () => {
      const dataDir = join(dir.path, 'data');
      const env = { HABITAT_HOME: dataDir };
      const served = await startServe(CLI, dataDir);
      let serveErr = '';
      served.child.stderr!.on('data', (c) => (serveErr += c));
      const exit = new Promise<number | null>((resolve) => served.child.once('exit', resolve));
      // the reader of serve's output has read its line and gone
      served.child.stdout!.destroy();

      const spawned = await run(['spawn', '--name', 'piped'], env);
      expect(spawned.code, spawned.stderr).toBe(EXIT.ok);
      const pid = Number(spawned.stdout.trim());

      // `habitat logs -f PID | head -1`
      const follower = spawn(process.execPath, [...CLI, 'logs', '-f', String(pid)], {
        env: { ...process.env, ...env },
      });
      let followErr = '';
      follower.stderr.on('data', (c) => (followErr += c));
      const followed = new Promise<number | null>((resolve) => follower.once('exit', resolve));
      await new Promise((resolve) => follower.stdout.once('data', resolve));
      follower.stdout.destroy();
      // a new entry for it to write: the write fails with EPIPE
      expect((await run(['exec', String(pid), '--', 'true'], env)).code).toBe(EXIT.ok);
      expect(await followed).toBe(EXIT.ok);
      expect(followErr).not.toMatch(/EPIPE|Error|at /);

      // serve writes "received SIGINT" to its closed output, then stops its agents and exits 0
      served.child.kill('SIGINT');
      expect(await exit).toBe(EXIT.ok);
      expect(serveErr).not.toMatch(/EPIPE|Error|at /);
      expect(existsSync(join(dataDir, 'run', 'host.json'))).toBe(false);

      // at the next start the agent had been stopped, not lost with the kernel
      const again = await startServe(CLI, dataDir);
      try {
        const logs = await run(['--json', 'logs', String(pid)], env);
        expect(logs.code, logs.stderr).toBe(EXIT.ok);
        const types = logs.stdout
          .trim()
          .split('\n')
          .map((line) => (JSON.parse(line) as { type: string }).type);
        expect(types).not.toContain('process.lost');
      } finally {
        again.child.kill('SIGKILL');
      }
    },
    SLOW,
  );
});
