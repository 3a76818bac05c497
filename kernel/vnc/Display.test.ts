import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VNC_CLOSE_CODES } from './closeCodes.js';
import { Display, type DisplayState } from './Display.js';
import { probeRfb } from './health.js';
import { hostLauncher, type DisplayLauncher } from './launcher.js';
import { displayToolsForTests } from './testing/displayTools.js';
import { startProxyServer, type ProxyServer } from './testing/proxyServer.js';
import { readFullFrame, rfbHandshake, WsReader } from './testing/rfbClient.js';
import { closeOf, opened, vncClient } from './testing/vncClient.js';
import { tcpListenPorts, X_SETUP, x11Setup } from './testing/x11.js';

const haveTools = await displayToolsForTests('VNC displays');

async function until(display: Display, state: DisplayState, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (display.state !== state) {
    if (Date.now() > deadline) throw new Error(`display is ${display.state}, not ${state}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function isRunning(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Runs the host launcher's programs, with some commands swapped for others. */
function swapping(swaps: Record<string, { command: string; args: string[] }>): DisplayLauncher {
  return {
    launch: (spec) => hostLauncher.launch({ ...spec, ...(swaps[spec.command] ?? {}) }),
    has: (command) => hostLauncher.has(command),
  };
}

describe.skipIf(!haveTools)('VNC displays: Xvfb and x11vnc on the host', () => {
  const dir = mkdtempSync(join(tmpdir(), 'habitat-display-'));
  const displays: Display[] = [];
  let host: ProxyServer;

  const display = (name: string, options: Partial<ConstructorParameters<typeof Display>[0]> = {}) => {
    const d = new Display({ runDir: join(dir, name), windowManagers: [], healthIntervalMs: 200, ...options });
    displays.push(d);
    return d;
  };

  beforeAll(async () => {
    host = await startProxyServer();
  });
  afterAll(async () => {
    await host.close();
    await Promise.all(displays.map((d) => d.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a display that answers RFB 003.008 on its socket, locked to its owner and its cookie', async () => {
    const d = display('basic');
    await d.start();
    expect(d.state).toBe('ready');
    expect(await probeRfb(d.socketPath)).toBe('RFB 003.008');
    expect(statSync(join(dir, 'basic')).mode & 0o777).toBe(0o700);
    expect(d.env).toMatchObject({
      DISPLAY: `:${d.displayNumber}`,
      XAUTHORITY: join(dir, 'basic', 'Xauthority'),
    });
    // The X server itself: a client without the cookie is turned away, one with it gets in.
    expect(await x11Setup(d.displayNumber!)).toBe(X_SETUP.failed);
    expect(await x11Setup(d.displayNumber!, d.env.XAUTHORITY)).toBe(X_SETUP.success);
    // x11vnc asks no password, so it must not listen on any TCP port, IPv6 included (the check does see ours).
    expect(await tcpListenPorts(process.pid)).toContain(host.port);
    expect(await tcpListenPorts(d.pids.vnc!)).toEqual([]);
    expect(await tcpListenPorts(d.pids.xvfb!)).toEqual([]);
  });

  it('through the proxy: a viewer gets RFB 003.008, the resolution it asked for, and a whole frame', async () => {
    const small = display('small', { width: 640, height: 480 });
    const large = display('large', { width: 1024, height: 768 });
    await Promise.all([small.start(), large.start()]); // side by side: each picks its own display number
    expect(small.displayNumber).not.toBe(large.displayNumber);
    for (const [d, width, height] of [
      [small, 640, 480],
      [large, 1024, 768],
    ] as const) {
      const { token } = host.proxy.issue({ agent: 1, socketPath: d.socketPath, mode: 'view' });
      const ws = vncClient(host.url(1), { token, origin: host.origin });
      const reader = new WsReader(ws);
      await opened(ws);
      const init = await rfbHandshake(ws, reader);
      expect(init).toMatchObject({ width, height });
      expect(await readFullFrame(ws, reader, init)).toBe(width * height);
      ws.close();
    }
  });

  it('restarts x11vnc when it crashes, and the whole stack when Xvfb does, keeping the display number', async () => {
    const d = display('crash', { restartDelayMs: 50 });
    await d.start();
    const states: DisplayState[] = [];
    d.onChange((c) => states.push(c.state));
    const number = d.displayNumber;

    const vnc = d.pids.vnc!;
    const created = await segmentsOf(vnc);
    process.kill(vnc, 'SIGKILL');
    await until(d, 'restarting');
    await until(d, 'ready');
    expect(d.pids.vnc).not.toBe(vnc);
    expect(await probeRfb(d.socketPath)).toBe('RFB 003.008');
    // the shared memory the killed x11vnc polled through is gone with it (where the machine has SysV IPC to see)
    if (created !== undefined) {
      expect(created).toBeGreaterThan(0); // x11vnc polls through shared memory: there was something to release
      expect(await segmentsOf(vnc)).toBe(0);
    }

    const xvfb = d.pids.xvfb!;
    const vncBefore = d.pids.vnc!;
    process.kill(xvfb, 'SIGKILL');
    await until(d, 'restarting');
    await until(d, 'ready');
    expect(d.pids.xvfb).not.toBe(xvfb);
    expect(isRunning(vncBefore)).toBe(false);
    expect(d.displayNumber).toBe(number);
    expect(await probeRfb(d.socketPath)).toBe('RFB 003.008');
    expect(states).toEqual(['restarting', 'ready', 'restarting', 'ready']);
    expect(d.restarts).toBe(2);
  });

  it('restarts an x11vnc that hangs: the health check reads the greeting, not just the socket file', async () => {
    const d = display('hang', { restartDelayMs: 50, healthIntervalMs: 100, healthTimeoutMs: 300 });
    await d.start();
    const vnc = d.pids.vnc!;
    process.kill(vnc, 'SIGSTOP');
    await until(d, 'restarting');
    await until(d, 'ready');
    expect(d.pids.vnc).not.toBe(vnc);
    expect(isRunning(vnc)).toBe(false);
    expect(await probeRfb(d.socketPath)).toBe('RFB 003.008');
  });

  it('starts a window manager when one is installed, and brings it back if it dies', async () => {
    // `sleep` stands in for a window manager: what matters is that it is found, started and kept running.
    const d = display('wm', {
      windowManagers: [{ command: 'no-such-wm' }, { command: 'sleep', args: ['600'] }],
    });
    await d.start();
    const wm = d.pids.wm!;
    expect(isRunning(wm)).toBe(true);
    process.kill(wm, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (d.pids.wm === undefined || d.pids.wm === wm) {
      if (Date.now() > deadline) throw new Error('window manager not restarted');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(d.state).toBe('ready'); // the stream never went down for it
  });

  it('fails to start with the reason, and gives up on a crash loop instead of spinning', async () => {
    const broken = display('broken', {
      launcher: swapping({ x11vnc: { command: 'sh', args: ['-c', 'echo no such display >&2; exit 3'] } }),
    });
    await expect(broken.start()).rejects.toThrow('x11vnc exited with code 3: no such display');
    expect(broken.state).toBe('failed');
    expect(broken.pids).toEqual({});

    let launches = 0;
    const flaky = display('flaky', {
      restartDelayMs: 10,
      maxRestarts: 3,
      launcher: {
        launch: (spec) => {
          if (spec.command === 'x11vnc' && launches++ > 0)
            return hostLauncher.launch({ command: 'false', args: [] });
          return hostLauncher.launch(spec);
        },
        has: hostLauncher.has,
      },
    });
    await flaky.start();
    const reasons: string[] = [];
    flaky.onChange((c) => reasons.push(`${c.state}: ${c.reason ?? ''}`));
    process.kill(flaky.pids.vnc!, 'SIGKILL');
    await until(flaky, 'failed');
    expect(launches).toBe(4); // the first, then three restarts
    expect(reasons.at(-1)).toMatch(/^failed: restarted 3 times/);
    expect(flaky.pids).toEqual({});
  });

  it('stop tears everything down: processes, socket, cookie; the proxy then says the display is gone', async () => {
    const d = display('stop');
    await d.start();
    const pids = Object.values(d.pids);
    const { token } = host.proxy.issue({ agent: 2, socketPath: d.socketPath, mode: 'control' });
    await d.stop();
    expect(d.state).toBe('stopped');
    for (const pid of pids) expect(isRunning(pid)).toBe(false);
    expect(existsSync(d.socketPath)).toBe(false);
    expect(existsSync(join(dir, 'stop', 'Xauthority'))).toBe(false);
    expect(await closeOf(vncClient(host.url(2), { token }))).toMatchObject({
      code: VNC_CLOSE_CODES.displayGone,
    });
  });
});

/** How many SysV shared memory segments a process created that still exist; undefined where that cannot be read. */
async function segmentsOf(pid: number): Promise<number | undefined> {
  try {
    const [header, ...rows] = (await readFile('/proc/sysvipc/shm', 'utf8')).trim().split('\n');
    const cpid = header!.trim().split(/\s+/).indexOf('cpid');
    return rows.filter((row) => Number(row.trim().split(/\s+/)[cpid]) === pid).length;
  } catch {
    return undefined;
  }
}
