import { spawn } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerForTests } from '../../test/docker.js';
import { tempDir, waitFor } from '../../test/helpers.js';
import { colourShare, decodePng } from '../../test/png.js';
import { DESKTOP_SANDBOX_IMAGE, ensureSandboxImage } from '../images/index.js';
import { Kernel } from '../Kernel.js';
import { VNC_CLOSE_CODES } from './closeCodes.js';
import { startProxyServer, type ProxyServer } from './testing/proxyServer.js';
import { readFullFrame, rfbHandshake, WsReader } from './testing/rfbClient.js';
import { handshake, rfb } from './testing/rfbMessages.js';
import { startFakeDisplay } from './testing/fakeDisplay.js';
import { closeOf, opened, vncClient } from './testing/vncClient.js';

// The marker window's magenta, less its button and entry, is 30% of an 800x600 screen.
// Graphical agents through the whole kernel, on a real daemon with the desktop image: the display in the container,
// its folder and environment, screenshots, programs, viewers through the proxy, input, restarts, the end, a crash.
const docker = await dockerForTests('graphical agents');
const MINUTES = 60_000;
const MAGENTA: [number, number, number] = [255, 0, 255];
const MARKER = readFileSync(join(import.meta.dirname, '../../test/fixtures/desktop/marker.tcl'), 'utf8');
const XK_RETURN = 0xff0d;

async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!docker)('graphical agents: a display in the container', () => {
  const dir = tempDir();
  const kernels: Kernel[] = [];
  const events: { topic: string; payload: { pid: number; state: string; restarts: number } }[] = [];
  let kernel: Kernel;
  let host: ProxyServer;
  let detach: () => void;

  const open = async (): Promise<Kernel> => {
    const opened = await Kernel.open({
      dataDir: dir.path,
      mode: 'headless',
      version: 'test',
      termGraceMs: 1000,
      warmPool: { size: 0 },
      displays: { display: { healthIntervalMs: 300, healthTimeoutMs: 1000, restartDelayMs: 50 } },
    });
    opened.events.on('vnc.*', (payload, topic) => events.push({ topic, payload: payload as never }));
    kernels.push(opened);
    return opened;
  };
  const started = (pid: number) => events.filter((e) => e.topic === `vnc.started.${pid}`).length;
  const exec = async (k: Kernel, pid: number, script: string) =>
    (await k.processes.exec(pid, ['sh', '-c', script], { timeoutMs: 15_000, maxOutputBytes: 64 * 1024 }))
      .stdout;
  const screen = async (k: Kernel, pid: number) => decodePng((await k.displays.screenshot(pid)).png);

  beforeAll(async () => {
    await ensureSandboxImage(docker!, { variant: 'desktop' }); // CI builds it first; here, when missing
    kernel = await open();
    host = await startProxyServer({ tokens: kernel.displays.tokens });
    detach = kernel.displays.attachProxy(host.proxy);
  }, 20 * MINUTES);

  afterAll(async () => {
    detach?.();
    await host?.close();
    for (const k of kernels) await k.close().catch(() => {});
    const leftovers = await docker!.listContainers({
      all: true,
      filters: { label: ['dev.habitat.managed=1'] },
    });
    for (const c of leftovers.filter((c) => kernels.some((k) => k.bootId === c.Labels['dev.habitat.boot']))) {
      await docker!
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => {});
    }
    dir.cleanup();
  });

  let pid: number;

  it('spawns a graphical agent: the desktop image, the display folder bound in, DISPLAY set, the screen up', async () => {
    const agent = await kernel.processes.spawn({
      sandbox: 'docker',
      network: false,
      graphical: { width: 800, height: 600 },
    });
    pid = agent.pid;
    await waitFor(() => started(pid) === 1, 30_000, 'vnc.started');
    expect(kernel.displays.list()).toEqual([
      expect.objectContaining({ pid, state: 'ready', width: 800, height: 600, display: ':99', restarts: 0 }),
    ]);

    const inspect = await docker!.getContainer(agent.sandbox.containerId!).inspect();
    const runDir = join(dir.path, 'run', 'vnc', String(pid));
    expect(inspect.Config.Image).toBe(DESKTOP_SANDBOX_IMAGE);
    expect(inspect.Mounts).toContainEqual(
      expect.objectContaining({ Source: runDir, Destination: '/run/habitat-display', RW: true }),
    );
    expect(inspect.Config.Env).toEqual(
      expect.arrayContaining(['DISPLAY=:99', 'XAUTHORITY=/run/habitat-display/Xauthority']),
    );
    expect(inspect.HostConfig).toMatchObject({ NetworkMode: 'none', CapDrop: ['ALL'], Privileged: false });
    // the folder is the agent user's alone: x11vnc asks no password, so it is the lock on the door
    const folder = statSync(runDir);
    expect(folder.mode & 0o777).toBe(0o700);
    expect(folder.uid).toBe(1000);
    // x11vnc's socket is taken out of it into the kernel's own folder: what the agent can write it could swap
    expect(statSync(join(dir.path, 'run', 'vnc', `${pid}.sock`)).isSocket()).toBe(true);
    expect(existsSync(join(runDir, 'vnc.sock'))).toBe(false);

    const ps = await exec(kernel, pid, 'ps -eo user,args');
    expect(ps).toMatch(/agent +Xvfb :99 -screen 0 800x600x24/);
    expect(ps).toMatch(/agent +x11vnc -display :99/);
    expect(ps).toMatch(/agent +openbox/);
  });

  it('shows a program vnc.exec starts, in a screenshot; programs of the agent reach the display too', async () => {
    const before = await screen(kernel, pid);
    expect([before.width, before.height]).toEqual([800, 600]);
    expect(colourShare(before, MAGENTA)).toBe(0);

    await kernel.fs(pid).write('marker.tcl', MARKER);
    const started = await kernel.displays.exec(pid, ['wish', '/home/agent/marker.tcl']);
    expect(started.osPid).toBeGreaterThan(1);
    await eventually(
      async () => colourShare(await screen(kernel, pid), MAGENTA) > 0.25,
      20_000,
      'the magenta window in a screenshot',
    );
    // its own commands find the window (DISPLAY and XAUTHORITY come with the container)
    expect((await exec(kernel, pid, 'xdotool search --name habitat-marker')).trim()).toMatch(/^\d+$/);
    await expect(kernel.displays.exec(pid, ['no-such-program'])).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
    });
  });

  it('lets a viewer through the proxy with a ticket: the handshake, its size and a whole frame; once', async () => {
    const ticket = await kernel.displays.open(pid, 'view');
    expect(ticket).toMatchObject({ pid, mode: 'view', path: `/vnc/${pid}`, width: 800, height: 600 });
    const ws = vncClient(host.url(pid), { token: ticket.token, origin: host.origin });
    const reader = new WsReader(ws);
    await opened(ws);
    const init = await rfbHandshake(ws, reader);
    expect(init).toMatchObject({ width: 800, height: 600 });
    expect(await readFullFrame(ws, reader, init)).toBe(800 * 600);
    expect(kernel.displays.list()[0]!.viewers).toEqual({ view: 1, control: 0 });
    ws.close();
    expect(await closeOf(vncClient(host.url(pid), { token: ticket.token }))).toMatchObject({
      code: VNC_CLOSE_CODES.badToken,
      reason: 'token used',
    });
  });

  it("a view-only viewer's clicks and keys are dropped; in control they reach the program", async () => {
    const files = kernel.fs(pid);
    // The button's middle, below the title bar: the window is at (40, 40), the button at (40, 40) in it.
    const button = { x: 40 + 40 + 280, y: 40 + 40 + 70 + 10 };
    const entry = { x: 40 + 40 + 280, y: 40 + 240 + 30 + 10 };
    const press = (x: number, y: number) => Buffer.concat([rfb.pointer(1, x, y), rfb.pointer(0, x, y)]);
    const typed = (text: string) =>
      Buffer.concat(
        [...text].flatMap((c) => [rfb.key(true, c.charCodeAt(0)), rfb.key(false, c.charCodeAt(0))]),
      );

    const view = vncClient(host.url(pid), { token: (await kernel.displays.open(pid, 'view')).token });
    await opened(view);
    view.send(handshake());
    view.send(press(button.x, button.y));
    await new Promise((r) => setTimeout(r, 1000));
    await expect(files.stat('clicked.txt')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    view.close();

    const control = vncClient(host.url(pid), { token: (await kernel.displays.open(pid, 'control')).token });
    await opened(control);
    control.send(handshake());
    control.send(press(button.x, button.y));
    await waitFor(() => existsSync(join(kernel.processes.home(pid), 'clicked.txt')), 10_000, 'the click');
    control.send(press(entry.x, entry.y));
    control.send(typed('hello'));
    control.send(Buffer.concat([rfb.key(true, XK_RETURN), rfb.key(false, XK_RETURN)]));
    await waitFor(() => existsSync(join(kernel.processes.home(pid), 'typed.txt')), 10_000, 'the typing');
    expect((await files.read('typed.txt')).content).toBe('hello\n');

    // handing back ends the control session (4000) but no view-only one
    const watcher = vncClient(host.url(pid), { token: (await kernel.displays.open(pid, 'view')).token });
    await opened(watcher);
    const controlClosed = closeOf(control);
    expect(kernel.displays.handBack(pid)).toEqual({ pid, closed: 1 });
    expect(await controlClosed).toMatchObject({ code: VNC_CLOSE_CODES.handedBack });
    expect(watcher.readyState).toBe(watcher.OPEN);
    watcher.close();
  });

  it('restarts x11vnc killed inside the container; INT to the agent leaves the display alone', async () => {
    const xvfb = (await exec(kernel, pid, 'pgrep -x Xvfb')).trim();
    await exec(kernel, pid, 'pkill -KILL -x x11vnc');
    await waitFor(() => started(pid) === 2, 20_000, 'the display ready again');
    expect(kernel.displays.list()[0]).toMatchObject({ state: 'ready', restarts: 1 });
    expect(colourShare(await screen(kernel, pid), MAGENTA)).toBeGreaterThan(0.25); // the same X server

    await kernel.processes.signal(pid, 'INT'); // reaches the agent's programs: not the kernel's display
    await new Promise((r) => setTimeout(r, 1000));
    expect((await exec(kernel, pid, 'pgrep -x Xvfb')).trim()).toBe(xvfb);
    expect(kernel.displays.list()[0]).toMatchObject({ state: 'ready', restarts: 1 });
  });

  it('STOP freezes the display without counting it as hung; CONT brings it back as it was', async () => {
    await kernel.processes.signal(pid, 'STOP');
    await new Promise((r) => setTimeout(r, 3000)); // ten health intervals of silence
    expect(kernel.displays.list()[0]).toMatchObject({ state: 'ready', restarts: 1 });
    await kernel.processes.signal(pid, 'CONT');
    expect(colourShare(await screen(kernel, pid), MAGENTA)).toBeGreaterThan(0.25);
    expect(kernel.displays.list()[0]).toMatchObject({ state: 'ready', restarts: 1 });
  });

  it('links the agent plants in its display folder lead the kernel nowhere: not to another display, not out', async () => {
    const other = await startFakeDisplay(join(dir.path, 'other.sock'), (c) => c.socket.end('RFB 003.008\n'));
    try {
      // another agent's display socket, and the kernel's whole data folder for when the folder is removed
      await exec(
        kernel,
        pid,
        `ln -sf ${other.path} /run/habitat-display/vnc.sock && mkdir -p /run/habitat-display/d && ` +
          `ln -s ${dir.path} /run/habitat-display/d/data && ln -s ${dir.path} /run/habitat-display/data`,
      );
      expect(colourShare(await screen(kernel, pid), MAGENTA)).toBeGreaterThan(0.25); // its own screen
      const ws = vncClient(host.url(pid), { token: (await kernel.displays.open(pid, 'view')).token });
      const reader = new WsReader(ws);
      await opened(ws);
      expect(await rfbHandshake(ws, reader)).toMatchObject({ width: 800, height: 600 });
      ws.close();
      // a restarted x11vnc: the link in its socket's place is removed, not followed
      await exec(kernel, pid, 'pkill -KILL -x x11vnc');
      await waitFor(() => started(pid) === 3, 20_000, 'the display ready again');
      expect(colourShare(await screen(kernel, pid), MAGENTA)).toBeGreaterThan(0.25);
      expect(other.connections).toHaveLength(0);
    } finally {
      await other.close();
    }
  });

  it('ends with the agent: viewers cut off, vnc.stopped, the folder removed, no more tickets', async () => {
    const runDir = join(dir.path, 'run', 'vnc', String(pid));
    const ws = vncClient(host.url(pid), { token: (await kernel.displays.open(pid, 'view')).token });
    await opened(ws);
    const closed = closeOf(ws);
    await kernel.processes.signal(pid, 'KILL');
    // KILL takes the container, x11vnc with it, before the kernel learns the agent ended: the display's socket fails
    // or is closed (the dying x11vnc's socket may end cleanly), or the kernel cuts the viewer first
    expect([VNC_CLOSE_CODES.upstreamError, VNC_CLOSE_CODES.displayGone, VNC_CLOSE_CODES.normal]).toContain(
      (await closed).code,
    );
    await waitFor(() => events.some((e) => e.topic === `vnc.stopped.${pid}`), 15_000, 'vnc.stopped');
    await waitFor(() => !existsSync(runDir), 15_000, 'the display folder removed');
    expect(existsSync(join(dir.path, 'run', 'vnc', `${pid}.sock`))).toBe(false);
    expect(existsSync(join(dir.path, 'habitat.db'))).toBe(true); // the links in it were removed, not followed
    expect(kernel.displays.list()).toEqual([]);
    await expect(kernel.displays.open(pid, 'view')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it(
    'comes back after a kernel crash: the re-attached container gets a fresh display, leftovers ended',
    async () => {
      const crashDir = tempDir();
      // a host file the agent points its cookie at, and another display it points its socket at, before the crash:
      // the second kernel starts the display again in the same folder, as root
      const victim = join(crashDir.path, 'shadow');
      writeFileSync(victim, 'root:$6$secret:19000::::::\n', { mode: 0o640 });
      const other = await startFakeDisplay(join(crashDir.path, 'other.sock'), (c) =>
        c.socket.end('RFB 003.008\n'),
      );
      const plant = `ln -sf ${victim} /run/habitat-display/Xauthority && ln -sf ${other.path} /run/habitat-display/vnc.sock`;
      try {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            join(import.meta.dirname, 'testing', 'graphicalKernel.ts'),
            crashDir.path,
            plant,
          ],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        const line = await new Promise<string>((resolve, reject) => {
          createInterface({ input: child.stdout }).once('line', resolve);
          child.once('exit', (code) => reject(new Error(`the crashing kernel exited with ${code}`)));
        });
        const { pid: agent } = JSON.parse(line) as { pid: number };
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;

        const second = await Kernel.open({
          dataDir: crashDir.path,
          mode: 'headless',
          version: 'test',
          warmPool: { size: 0 },
        });
        kernels.push(second);
        const seen: string[] = [];
        second.events.on('vnc.*', (_payload, topic) => seen.push(topic));
        expect(second.processes.get(agent).state).toBe('running');
        await waitFor(() => seen.includes(`vnc.started.${agent}`), 30_000, 'the display back');
        expect(second.displays.list()).toEqual([
          expect.objectContaining({ pid: agent, state: 'ready', width: 640, height: 480 }),
        ]);
        expect((await exec(second, agent, 'pgrep -c -x Xvfb; pgrep -c -x x11vnc')).trim()).toBe('1\n1');
        const shot = await screen(second, agent);
        expect([shot.width, shot.height]).toEqual([640, 480]);
        expect(readFileSync(victim, 'utf8')).toBe('root:$6$secret:19000::::::\n');
        expect(statSync(victim)).toMatchObject({ uid: process.getuid?.(), mode: 0o100640 });
        const cookie = lstatSync(join(crashDir.path, 'run', 'vnc', String(agent), 'Xauthority'));
        expect(cookie.isFile()).toBe(true); // a fresh cookie in the link's place, the agent's
        expect(cookie.uid).toBe(statSync(second.processes.home(agent)).uid);
        expect(other.connections).toHaveLength(0);
        await second.close();
      } finally {
        await other.close();
        crashDir.cleanup();
      }
    },
    2 * MINUTES,
  );
});
