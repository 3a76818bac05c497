import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { CLI, runCli as run, type CliRun } from '../../test/servedCli.js';
import { startServe } from '../../test/servedHost.js';
import { EXIT } from './program.js';

// Exit codes and --json errors are the CLI's scripting interface (README: 0 ok, 1 error value, 2 usage, 3 no host).
const SLOW = 120_000; // every case is a Node process with tsx

describe('CLI usage errors', () => {
  const dir = tempDir();
  // no host runs in this data folder: arguments are checked before the CLI connects
  const env = { HABITAT_HOME: join(dir.path, 'empty'), HABITAT_URL: '', HABITAT_TOKEN: '' };
  afterAll(() => dir.cleanup());

  it(
    'bad arguments exit 2 before connecting, with or without a host',
    async () => {
      const cases: [string[], string][] = [
        [['kill', '-s', 'HUP', '1'], 'unknown signal HUP'],
        [['kill', '0'], 'not a PID: 0'],
        [['exec', 'abc', '--', 'true'], 'not a PID: abc'],
        [['spawn', '--memory', '1g'], 'apply to --sandbox docker'],
        [['share', 'grant', 'x', '2', '--mode', 'zz'], "'zz' is invalid. Allowed choices are ro, rw"],
        [['--url', 'foo', 'info'], 'not a Habitat URL: foo'],
        [['logs', '-n', 'abc', '1'], '--lines must be an integer of at least 1, not abc'],
        [['logs', '--lines', '0', '1'], '--lines must be an integer of at least 1, not 0'],
        [['exec', '--timeout', '1.5', '1', '--', 'true'], '--timeout must be an integer'],
        [['msg', 'check', '1', '-n', 'x'], '--limit must be an integer of at least 1, not x'],
        [['msg', 'check', '1', '--after', '-1'], '--after must be an integer of at least 0, not -1'],
        [['msg', 'ack', '1', 'abc'], 'not a message id: abc'],
        [['gpu', 'stats', '-n', '1.5'], '--count must be an integer of at least 1, not 1.5'],
        [['spawn', '--sandbox', 'docker', '--pids', '1.5'], '--pids must be a positive integer'],
        // these three subscribed to progress (which connects) before they looked at the PID: exit 1, or 3
        [['snapshot', 'create', 'abc'], 'not a PID: abc'],
        [['snapshot', 'fork', '0'], 'not a PID: 0'],
        [['snapshot', 'rollback', 'abc', 'snap-x'], 'not a PID: abc'],
        [['snapshot', 'create', '1', '--wait', 'soon'], '--wait must be an integer of at least 0, not soon'],
      ];
      const runs = await Promise.all(cases.map(([args]) => run(args, env)));
      runs.forEach((result, i) => {
        expect(result.code, cases[i]![0].join(' ')).toBe(EXIT.usage);
        expect(result.stderr, cases[i]![0].join(' ')).toContain(cases[i]![1]);
        expect(result.stderr).not.toMatch(/E_INTERNAL|ZodError|\n\s+at /);
      });
      // a verb that needs the host, with good arguments, still exits 3
      expect((await run(['kill', '-s', 'CONT', '1'], env)).code).toBe(EXIT.unavailable);
    },
    SLOW,
  );

  it(
    'exec checks its arguments before it reads standard input: a pipe left open does not hold a usage error back',
    async () => {
      // as `sleep 30 | habitat exec abc -- true`: standard input is a pipe nobody writes to or closes
      const open = (args: string[]): Promise<CliRun & { ms: number }> =>
        new Promise((resolve) => {
          const started = Date.now();
          const child = spawn(process.execPath, [...CLI, ...args], {
            env: { ...process.env, ...env },
            stdio: ['pipe', 'pipe', 'pipe'],
          });
          const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (c) => (stdout += c));
          child.stderr.on('data', (c) => (stderr += c));
          child.on('close', (code) => {
            clearTimeout(timer);
            child.stdin.destroy();
            resolve({ code, stdout, stderr, ms: Date.now() - started });
          });
        });
      const cases: [string[], string][] = [
        [['exec', 'abc', '--', 'true'], 'not a PID: abc'],
        [['exec', '--max-output', '9m', '1', '--', 'true'], '--max-output must be between 1 and 8m'],
        [['exec', '--timeout', '0', '1', '--', 'true'], '--timeout must be an integer of at least 1'],
      ];
      const runs = await Promise.all(cases.map(([args]) => open(args)));
      runs.forEach((result, i) => {
        expect(result.code, cases[i]![0].join(' ')).toBe(EXIT.usage); // null: killed after 60 s, still reading
        expect(result.stderr).toContain(cases[i]![1]);
      });
    },
    SLOW,
  );

  it(
    'a verb group without its verb prints the help to stderr and exits 2; --help, help and -V exit 0',
    async () => {
      const [bare, fs, help, helpVerb, version] = await Promise.all([
        run([], env),
        run(['fs'], env),
        run(['--help'], env),
        run(['help'], env),
        run(['-V'], env),
      ]);
      expect(bare.code).toBe(EXIT.usage);
      expect(bare.stdout).toBe('');
      expect(bare.stderr).toContain('Usage: habitat');
      expect(fs.code).toBe(EXIT.usage);
      expect(fs.stderr).toContain('Usage: habitat fs');
      for (const ok of [help, helpVerb]) {
        expect(ok.code).toBe(EXIT.ok);
        expect(ok.stdout).toContain('Usage: habitat');
      }
      expect(version.code).toBe(EXIT.ok);
      expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    },
    SLOW,
  );

  it(
    'with --json every error is one JSON line on stdout with its exit code',
    async () => {
      const cases: [string[], number, string][] = [
        [['--json', 'ps', '--bogus'], EXIT.usage, "unknown option '--bogus'"],
        [['ps', '--bogus', '--json'], EXIT.usage, "unknown option '--bogus'"],
        [['--json', 'kill'], EXIT.usage, "missing required argument 'pid'"],
        [['--json', 'spawn', '--sandbox', 'vm'], EXIT.usage, "'vm' is invalid"],
        [['--json', 'frobnicate'], EXIT.usage, 'frobnicate'],
        [['--json'], EXIT.usage, 'a verb is needed'],
        [['--json', 'fs'], EXIT.usage, 'a verb is needed'],
        [['--json', 'kill', '-s', 'HUP', '1'], EXIT.usage, 'unknown signal HUP'],
        [['--json', 'share', 'grant', 'x', '2', '--mode', 'zz'], EXIT.usage, 'ro, rw'],
        [['--json', 'serve', '--port', 'http'], EXIT.usage, '--port must be 0..65535'],
        [['--json', 'serve', '--port', '0', '--warm-pool', '99'], EXIT.usage, '--warm-pool must be 0..32'],
        [['--json', 'info'], EXIT.unavailable, 'no running Habitat host'],
      ];
      const runs = await Promise.all(cases.map(([args]) => run(args, env)));
      runs.forEach((result, i) => {
        const [args, code, message] = cases[i]!;
        expect(result.code, args.join(' ')).toBe(code);
        expect(result.stderr, args.join(' ')).toBe('');
        const lines = result.stdout.trim().split('\n');
        expect(lines, args.join(' ')).toHaveLength(1);
        const { error } = JSON.parse(lines[0]!) as { error: { code: string; message: string } };
        expect(error.code).toBe(code === EXIT.usage ? 'E_INVALID' : 'E_UNAVAILABLE');
        expect(error.message, args.join(' ')).toContain(message);
      });
    },
    SLOW,
  );

  it(
    'a connection that drops during a call exits 3, like a host that cannot be reached',
    async () => {
      const dataDir = join(dir.path, 'dropped');
      const served = await startServe(CLI, dataDir);
      try {
        const hostEnv = { HABITAT_HOME: dataDir };
        const spawned = await run(['spawn', '--name', 'sleeper'], hostEnv);
        expect(spawned.code, spawned.stderr).toBe(EXIT.ok);
        const pid = spawned.stdout.trim();
        const exec = run(['--json', 'exec', pid, '--', 'sleep', '30'], hostEnv);
        await new Promise((resolve) => setTimeout(resolve, 3000)); // the call is under way
        served.child.kill('SIGKILL');
        const result = await exec;
        expect(result.code).toBe(EXIT.unavailable);
        expect(JSON.parse(result.stdout).error.code).toBe('E_UNAVAILABLE');
      } finally {
        served.child.kill('SIGKILL');
      }
    },
    SLOW,
  );
});
