import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { detectBubblewrap } from './bubblewrap.js';
import { HostSandbox } from './HostSandbox.js';

const bwrap = detectBubblewrap();
if (!bwrap) {
  console.warn(
    '\n*** bubblewrap is not installed: the host-sandbox isolation tests are SKIPPED (apt-get install bubblewrap) ***\n',
  );
}

/** Async on purpose: the test's own TCP server must keep answering while the sandboxed program runs. */
function runIn(
  sandbox: HostSandbox,
  spec: Parameters<HostSandbox['plan']>[0],
  script: string,
): Promise<{ code: number; out: string; err: string }> {
  const plan = sandbox.plan(spec, ['/bin/sh', '-c', script]);
  return new Promise((resolve) => {
    execFile(
      plan.file,
      plan.args,
      { cwd: plan.cwd, env: plan.env, timeout: 10_000 },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0;
        resolve({ code, out: stdout.trim(), err: stderr.trim() });
      },
    );
  });
}

describe.skipIf(!bwrap)('host sandbox under bubblewrap', () => {
  const dir = tempDir();
  const home = join(dir.path, 'homes', '1');
  const sandbox = new HostSandbox();
  const spec = { pid: 1, home, network: false };
  let server: Server;
  let port: number;

  beforeAll(async () => {
    mkdirSync(home, { recursive: true });
    writeFileSync(join(dir.path, 'host-secret.txt'), 'TOP-SECRET');
    process.env.HABITAT_TEST_SECRET = 'sk-live-should-never-leak';
    server = createServer((socket) => socket.end('hello from the host\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    delete process.env.HABITAT_TEST_SECRET;
    server.close();
    dir.cleanup();
  });

  it('reports bubblewrap isolation', () => {
    expect(sandbox.isolation).toBe('bubblewrap');
    expect(sandbox.warning).toBeUndefined();
  });

  it('binds the home read-write at /home/agent and starts there', async () => {
    const result = await runIn(sandbox, spec, 'pwd; echo written > note.txt; echo $HOME');
    expect(result.out.split('\n')).toEqual(['/home/agent', '/home/agent']);
    expect(readFileSync(join(home, 'note.txt'), 'utf8')).toBe('written\n');
  });

  it('keeps the system read-only and host files out of sight', async () => {
    const result = await runIn(
      sandbox,
      spec,
      `touch /usr/x 2>/dev/null && echo wrote-usr; cat ${join(dir.path, 'host-secret.txt')} 2>/dev/null; ls /root 2>/dev/null && echo saw-root; test -e /etc/shadow && echo shadow; echo done`,
    );
    expect(result.out).toBe('done');
  });

  it('scrubs the environment of host secrets', async () => {
    const result = await runIn(sandbox, spec, 'env');
    expect(result.out).not.toContain('sk-live-should-never-leak');
    expect(result.out).toContain('HABITAT_PID=1');
    expect(result.out).not.toMatch(/^(NODE_OPTIONS|npm_|VITEST)/m);
  });

  it('has no network unless granted: connecting to the host loopback fails', async () => {
    const probe = `exec 3<>/dev/tcp/127.0.0.1/${port} && head -1 <&3 || echo unreachable`;
    expect((await runIn(sandbox, spec, `bash -c '${probe}' 2>/dev/null`)).out).toBe('unreachable');
    const networked = await runIn(sandbox, { ...spec, network: true }, `bash -c '${probe}' 2>/dev/null`);
    expect(networked.out).toBe('hello from the host');
  });

  it('applies rlimits', async () => {
    const limited = { ...spec, limits: { openFiles: 123, cpuSeconds: 7, addressSpaceBytes: 2 * 1024 ** 3 } };
    const result = await runIn(sandbox, limited, 'ulimit -n; ulimit -t; ulimit -v');
    expect(result.out.split('\n')).toEqual(['123', '7', String(2 * 1024 * 1024)]);
  });

  it('treats limits given as undefined as the defaults', async () => {
    const result = await runIn(
      sandbox,
      { ...spec, limits: { openFiles: undefined, processes: undefined } },
      'ulimit -n',
    );
    expect(result.out).toBe('4096');
  });

  it('gives the agent its own PID namespace and hostname', async () => {
    const result = await runIn(sandbox, spec, 'hostname; ls /proc | grep -E "^[0-9]+$" | wc -l');
    const [hostname, count] = result.out.split('\n');
    expect(hostname).toBe('agent-1');
    expect(Number(count)).toBeLessThan(10);
  });
});

describe('host sandbox without bubblewrap', () => {
  it('runs a plain process in the home with a scrubbed environment, and says isolation is off', async () => {
    const dir = tempDir();
    try {
      const sandbox = new HostSandbox({ bubblewrap: null });
      expect(sandbox.isolation).toBe('none');
      expect(sandbox.warning).toMatch(/bubblewrap is not installed/);
      process.env.HABITAT_TEST_SECRET = 'sk-live-should-never-leak';
      const result = await runIn(sandbox, { pid: 2, home: dir.path, network: false }, 'pwd; env');
      expect(result.out.split('\n')[0]).toBe(dir.path);
      expect(result.out).not.toContain('sk-live-should-never-leak');
      expect(result.out).toContain(`HOME=${dir.path}`);
    } finally {
      delete process.env.HABITAT_TEST_SECRET;
      dir.cleanup();
    }
  });
});
