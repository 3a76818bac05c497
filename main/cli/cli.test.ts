import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { startServe, type ServeInfo } from '../../test/servedHost.js';
import { EXIT } from './program.js';

// The CLI is an interface other programs script against: these tests run it as a real subprocess.
const CLI = ['--import', 'tsx', join(import.meta.dirname, 'index.ts')];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Served {
  child: ChildProcess;
  info: ServeInfo;
}

const serve = (dataDir: string): Promise<Served> => startServe(CLI, dataDir);

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('habitat CLI', () => {
  const dir = tempDir();
  let served: Served;

  beforeAll(async () => {
    served = await serve(join(dir.path, 'data'));
  });
  afterAll(async () => {
    served.child.kill('SIGKILL');
    dir.cleanup();
  });

  it('serve --json prints the URL with its token and the bridge URL', () => {
    expect(served.info.url).toBe(`http://127.0.0.1:${served.info.port}/?token=${served.info.token}`);
    expect(served.info.wsUrl).toBe(`ws://127.0.0.1:${served.info.port}/bridge`);
    expect(served.info.token).toMatch(/^[0-9a-f]{64}$/);
  });

  it('info finds the host through run/host.json and prints the kernel status', async () => {
    const human = await run(['info'], { HABITAT_HOME: join(dir.path, 'data') });
    expect(human.code).toBe(EXIT.ok);
    expect(human.stdout).toMatch(/^Habitat \d+\.\d+\.\d+/);
    expect(human.stdout).toContain('kernel    running');
    expect(human.stdout).toContain('mode      headless');

    const json = await run(['--json', '--data-dir', join(dir.path, 'data'), 'info']);
    expect(json.code).toBe(EXIT.ok);
    const info = JSON.parse(json.stdout);
    expect(info).toMatchObject({
      name: 'Habitat',
      mode: 'headless',
      kernel: { state: 'running', pid: served.info.pid },
    });
    expect(info.dataDir).toBe(join(dir.path, 'data'));
  });

  it('info also connects with --url and --token, or HABITAT_URL and HABITAT_TOKEN', async () => {
    const flags = await run(
      ['--json', '--url', served.info.url.split('?')[0]!, '--token', served.info.token, 'info'],
      {
        HABITAT_HOME: join(dir.path, 'nowhere'),
      },
    );
    expect(flags.code).toBe(EXIT.ok);
    const env = await run(['--json', 'info'], {
      HABITAT_HOME: join(dir.path, 'nowhere'),
      HABITAT_URL: served.info.wsUrl,
      HABITAT_TOKEN: served.info.token,
    });
    expect(JSON.parse(env.stdout).kernel.pid).toBe(served.info.pid);
    const urlWithToken = await run(['--json', '--url', served.info.url, 'info'], {
      HABITAT_HOME: join(dir.path, 'nowhere'),
    });
    expect(urlWithToken.code).toBe(EXIT.ok);
  });

  it('call runs any protocol command and prints its JSON result', async () => {
    const result = await run([
      '--data-dir',
      join(dir.path, 'data'),
      '--json',
      'call',
      'system.ping',
      '{"nonce":"cli"}',
    ]);
    expect(result.code).toBe(EXIT.ok);
    expect(JSON.parse(result.stdout)).toMatchObject({ pong: true, nonce: 'cli' });
  });

  it('reports error values with exit code 1, as JSON with --json; bad JSON arguments exit 2', async () => {
    const env = { HABITAT_HOME: join(dir.path, 'data') };
    const unknown = await run(['call', 'no.such'], env);
    expect(unknown.code).toBe(EXIT.error);
    expect(unknown.stderr).toContain('E_NOT_FOUND');
    const invalid = await run(['--json', 'call', 'system.ping', '{"nonce":5}'], env);
    expect(invalid.code).toBe(EXIT.error);
    expect(JSON.parse(invalid.stdout).error.code).toBe('E_INVALID');
    // malformed arguments are found before the CLI connects: a usage error
    const badJson = await run(['call', 'system.ping', '{nope'], env);
    expect(badJson.code).toBe(EXIT.usage);
    expect(badJson.stderr).toContain('not valid JSON');
  });

  it('exits 3 when no host is reachable, and 2 on a usage error', async () => {
    const none = await run(['info'], { HABITAT_HOME: join(dir.path, 'empty') });
    expect(none.code).toBe(EXIT.unavailable);
    expect(none.stderr).toContain('habitat serve');
    const wrongToken = await run(['info', '--url', served.info.wsUrl, '--token', 'wrong'], {});
    expect(wrongToken.code).toBe(EXIT.unavailable);
    const usage = await run(['frobnicate']);
    expect(usage.code).toBe(EXIT.usage);
    const badPort = await run(['serve', '--port', 'http']);
    expect(badPort.code).toBe(EXIT.usage);
    for (const pool of ['-1', 'two', '1.5', '99']) {
      const badPool = await run(['serve', '--port', '0', '--warm-pool', pool]);
      expect(badPool.code).toBe(EXIT.usage);
      expect(badPool.stderr).toContain('--warm-pool must be 0..32');
    }
    const plainRemote = await run(['serve', '--port', '0', '--docker-engine', 'lab=tcp://10.1.2.3:2375']);
    expect(plainRemote.code).toBe(EXIT.usage);
    expect(plainRemote.stderr).toContain('without TLS');
  }, 120_000); // many CLI processes, each a Node start: slow on a loaded machine

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`serve shuts down cleanly on ${signal} and removes host.json`, async () => {
      const dataDir = join(dir.path, signal);
      const own = await serve(dataDir);
      const hostFile = join(dataDir, 'run', 'host.json');
      expect(existsSync(hostFile)).toBe(true);
      const exit = exited(own.child);
      own.child.kill(signal);
      expect(await exit).toBe(0);
      expect(existsSync(hostFile)).toBe(false);
    });
  }
});
