import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSandboxImage, Kernel } from '../../kernel/index.js';
import { VNC_CLOSE_CODES, VNC_SUBPROTOCOL, VNC_TOKEN_PREFIX } from '../../shared/protocol/index.js';
import { dockerForTests } from '../../test/docker.js';
import { closed, opened, rawSocket, tempDir, waitFor } from '../../test/helpers.js';
import { APP_ORIGIN } from '../shell/appProtocol.js';
import { startVncLoopback, type VncLoopback } from './vncLoopback.js';

// The desktop app's way to the displays: its pages come from app://habitat, so the proxy gets a loopback port of its
// own and tickets carry the full URL. A real graphical agent in the desktop image stands behind it.
const docker = await dockerForTests('the desktop app VNC proxy');

function vncClient(url: string, { token, origin }: { token?: string; origin: string }) {
  const protocols = [VNC_SUBPROTOCOL, ...(token === undefined ? [] : [`${VNC_TOKEN_PREFIX}${token}`])];
  return rawSocket(url, { protocols, origin });
}

describe.skipIf(!docker)("the desktop app's loopback VNC proxy", () => {
  const dir = tempDir();
  let kernel: Kernel;
  let loopback: VncLoopback;
  let pid: number;

  beforeAll(async () => {
    await ensureSandboxImage(docker!, { variant: 'desktop' });
    kernel = await Kernel.open({
      dataDir: dir.path,
      mode: 'desktop',
      version: 'test',
      warmPool: { size: 0 },
    });
    loopback = await startVncLoopback(kernel, [APP_ORIGIN]);
    const agent = await kernel.processes.spawn({
      sandbox: 'docker',
      network: false,
      graphical: { width: 640, height: 480 },
    });
    pid = agent.pid;
    await waitFor(
      () => kernel.displays.list().some((d) => d.pid === pid && d.state === 'ready'),
      60_000,
      'the display',
    );
  }, 20 * 60_000);

  afterAll(async () => {
    await loopback?.close();
    await kernel?.close();
    dir.cleanup();
  });

  it('issues tickets with the full loopback URL; a viewer from the app origin reaches the display', async () => {
    expect(loopback.baseUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const ticket = await kernel.displays.open(pid, 'view');
    expect(ticket.url).toBe(`${loopback.baseUrl}/vnc/${pid}`);
    const ws = vncClient(ticket.url!, { token: ticket.token, origin: APP_ORIGIN });
    const ended = closed(ws);
    // the display speaks first: the RFB version greeting
    const greeting = new Promise<Buffer>((resolve) => ws.once('message', (data) => resolve(data as Buffer)));
    await opened(ws);
    expect((await greeting).toString('latin1')).toMatch(/^RFB 003\.00\d\n/);
    ws.close();
    expect((await ended).code).toBe(1005);
  });

  it('refuses a reused token, a foreign origin, a foreign Host and other paths', async () => {
    const ticket = await kernel.displays.open(pid, 'control');
    const first = vncClient(ticket.url!, { token: ticket.token, origin: APP_ORIGIN });
    await opened(first);
    first.close();
    expect(await closed(vncClient(ticket.url!, { token: ticket.token, origin: APP_ORIGIN }))).toMatchObject({
      code: VNC_CLOSE_CODES.badToken,
    });
    const fresh = await kernel.displays.open(pid, 'view');
    // a page served by some other local web server is not the app
    expect(
      await closed(vncClient(fresh.url!, { token: fresh.token, origin: 'http://127.0.0.1:8080' })),
    ).toMatchObject({ code: VNC_CLOSE_CODES.foreignOrigin });
    const port = new URL(loopback.baseUrl).port;
    await expect(
      opened(vncClient(`ws://localhost:${port}/vnc/${pid}`, { token: fresh.token, origin: APP_ORIGIN })),
    ).rejects.toThrow('HTTP 421');
    await expect(opened(vncClient(`${loopback.baseUrl}/bridge`, { origin: APP_ORIGIN }))).rejects.toThrow(
      'HTTP 404',
    );
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(404);
  });
});
