import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VNC_CLOSE_CODES } from './closeCodes.js';
import { pattern, startFakeDisplay, type FakeDisplay } from './testing/fakeDisplay.js';
import { startProxyServer, type ProxyServer } from './testing/proxyServer.js';
import { handshake, rfb } from './testing/rfbMessages.js';
import { closeOf, collect, opened, vncClient } from './testing/vncClient.js';
import { VncTokens } from './tokens.js';

const AGENT = 7;

describe('VNC proxy: who may connect', () => {
  const dir = mkdtempSync(join(tmpdir(), 'habitat-vnc-'));
  let clock = 1_000_000;
  let host: ProxyServer;
  let display: FakeDisplay;

  beforeAll(async () => {
    display = await startFakeDisplay(join(dir, 'sock'), (c) => c.socket.write('RFB 003.008\n'));
    host = await startProxyServer({ tokens: new VncTokens({ ttlMs: 30_000, now: () => clock }) });
  });
  afterAll(async () => {
    await host.close();
    await display.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const issue = (agent = AGENT, mode: 'view' | 'control' = 'control') =>
    host.proxy.issue({ agent, socketPath: display.path, mode }).token;

  /** A valid token still opens a session, so a refusal above did not break the proxy. */
  async function stillServes(): Promise<void> {
    const ws = vncClient(host.url(AGENT), { token: issue() });
    const first = new Promise<Buffer>((resolve) => ws.once('message', (d) => resolve(d as Buffer)));
    expect((await first).toString()).toBe('RFB 003.008\n');
    ws.close();
  }

  it('refuses a connection without a token (4401)', async () => {
    expect(await closeOf(vncClient(host.url(AGENT)))).toEqual({
      code: VNC_CLOSE_CODES.badToken,
      reason: 'token missing',
    });
    await stillServes();
  });

  it('refuses an unknown token, including a prefix of a real one (4401)', async () => {
    const real = issue();
    expect(await closeOf(vncClient(host.url(AGENT), { token: 'f'.repeat(64) }))).toMatchObject({
      code: VNC_CLOSE_CODES.badToken,
      reason: 'token unknown',
    });
    expect(await closeOf(vncClient(host.url(AGENT), { token: real.slice(0, 32) }))).toMatchObject({
      code: VNC_CLOSE_CODES.badToken,
    });
    await stillServes();
  });

  it('refuses a token the second time it is presented (4401)', async () => {
    const token = issue();
    const first = vncClient(host.url(AGENT), { token });
    await opened(first);
    expect(await closeOf(vncClient(host.url(AGENT), { token }))).toEqual({
      code: VNC_CLOSE_CODES.badToken,
      reason: 'token used',
    });
    first.close();
  });

  it('refuses an expired token (4401)', async () => {
    const token = issue();
    clock += 30_001;
    expect(await closeOf(vncClient(host.url(AGENT), { token }))).toEqual({
      code: VNC_CLOSE_CODES.badToken,
      reason: 'token expired',
    });
    await stillServes();
  });

  it("refuses another agent's token, and burns it (4401)", async () => {
    const token = issue(AGENT + 1);
    expect(await closeOf(vncClient(host.url(AGENT), { token }))).toEqual({
      code: VNC_CLOSE_CODES.badToken,
      reason: 'token is for another agent',
    });
    expect(await closeOf(vncClient(host.url(AGENT + 1), { token }))).toMatchObject({
      code: VNC_CLOSE_CODES.badToken,
      reason: 'token used',
    });
  });

  it('refuses a foreign Origin without spending the token (4403), and accepts its own', async () => {
    const token = issue();
    for (const origin of ['http://evil.example', `http://127.0.0.1:${host.port + 1}`, 'null']) {
      expect(await closeOf(vncClient(host.url(AGENT), { token, origin }))).toEqual({
        code: VNC_CLOSE_CODES.foreignOrigin,
        reason: 'foreign origin',
      });
    }
    const own = vncClient(host.url(AGENT), { token, origin: host.origin });
    await opened(own);
    own.close();
  });

  it('refuses an upgrade for a foreign Host (421) or without the binary subprotocol (400)', async () => {
    const status = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest({
          host: '127.0.0.1',
          port: host.port,
          path: `/vnc/${AGENT}`,
          headers: {
            Connection: 'Upgrade',
            Upgrade: 'websocket',
            'Sec-WebSocket-Version': '13',
            'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
            ...headers,
          },
        });
        req.on('response', (res) => resolve(res.statusCode ?? 0));
        req.on('upgrade', () => reject(new Error('upgraded')));
        req.on('error', reject);
        req.end();
      });
    const token = `habitat.vnc.${issue()}`;
    expect(await status({ Host: 'evil.example:80', 'Sec-WebSocket-Protocol': `binary, ${token}` })).toBe(421);
    expect(await status({ 'Sec-WebSocket-Protocol': token })).toBe(400);
    await expect(opened(vncClient(`ws://127.0.0.1:${host.port}/vnc/x`, { token: issue() }))).rejects.toThrow(
      'HTTP 404',
    );
  });

  it('says the display is gone (4404) when its socket is not there', async () => {
    const token = host.proxy.issue({
      agent: AGENT,
      socketPath: join(dir, 'missing.sock'),
      mode: 'view',
    }).token;
    expect(await closeOf(vncClient(host.url(AGENT), { token }))).toEqual({
      code: VNC_CLOSE_CODES.displayGone,
      reason: 'display is not running',
    });
  });

  it('ends live sessions with 4404 and revokes tokens when the display stops', async () => {
    const pendingToken = issue();
    const ws = vncClient(host.url(AGENT), { token: issue() });
    await opened(ws);
    const closing = closeOf(ws);
    expect(host.proxy.disconnect(AGENT)).toBe(1);
    expect(await closing).toEqual({ code: VNC_CLOSE_CODES.displayGone, reason: 'display stopped' });
    expect(await closeOf(vncClient(host.url(AGENT), { token: pendingToken }))).toMatchObject({
      code: VNC_CLOSE_CODES.badToken,
    });
  });

  it('closes on a text frame (1003): binary frames only', async () => {
    const ws = vncClient(host.url(AGENT), { token: issue() });
    await opened(ws);
    const closing = closeOf(ws);
    ws.send('RFB 003.008\n');
    expect((await closing).code).toBe(VNC_CLOSE_CODES.unsupportedData);
  });

  it('leaves upgrades for other paths to the listeners that share the server', async () => {
    // The stand-in for the bridge answers 418; had the proxy touched the socket, it would have answered first.
    await expect(opened(vncClient(`ws://127.0.0.1:${host.port}/bridge`, { token: issue() }))).rejects.toThrow(
      'HTTP 418',
    );
    expect(host.proxy.handleUpgrade({ url: '/bridge' } as never, undefined as never, Buffer.alloc(0))).toBe(
      false,
    );
  });
});

describe('VNC proxy: the stream', () => {
  const dir = mkdtempSync(join(tmpdir(), 'habitat-vnc-'));
  let host: ProxyServer;
  let display: FakeDisplay;
  /** What the next connection's fake display does once connected. */
  let behaviour: (socket: Socket) => void = () => undefined;

  beforeAll(async () => {
    display = await startFakeDisplay(join(dir, 'sock'), (c) => behaviour(c.socket));
    host = await startProxyServer({ highWatermarkBytes: 1024 * 1024, lowWatermarkBytes: 256 * 1024 });
  });
  afterAll(async () => {
    await host.close();
    await display.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const connect = (mode: 'view' | 'control') =>
    vncClient(host.url(AGENT), {
      token: host.proxy.issue({ agent: AGENT, socketPath: display.path, mode }).token,
    });

  it('control: every client byte reaches the display, in order', async () => {
    behaviour = () => undefined;
    const index = display.connections.length;
    const ws = connect('control');
    await opened(ws);
    const upstream = await display.connection(index);
    const sent = pattern(300_000, 3);
    for (let at = 0; at < sent.length; at += 7_001) ws.send(sent.subarray(at, at + 7_001));
    await upstream.waitForBytes(sent.length);
    expect(upstream.received().equals(sent)).toBe(true);
    ws.close();
  });

  it('view: the display gets the handshake and display requests, never keys, pointer or clipboard', async () => {
    behaviour = () => undefined;
    const index = display.connections.length;
    const ws = connect('view');
    await opened(ws);
    const upstream = await display.connection(index);
    const session = host.proxy.sessions().at(-1)!;
    const allowed = [rfb.setEncodings([7, 0, -223]), rfb.updateRequest(false), rfb.updateRequest(true)];
    const stream = Buffer.concat([
      handshake(false),
      allowed[0]!,
      rfb.key(true, 0x61),
      allowed[1]!,
      rfb.pointer(1, 5, 5),
      rfb.cutText('from the viewer'),
      rfb.qemuKey(true, 0x61, 30),
      allowed[2]!,
      rfb.key(false, 0x61),
    ]);
    for (let at = 0; at < stream.length; at += 5) ws.send(stream.subarray(at, at + 5)); // boundaries anywhere
    const expected = Buffer.concat([handshake(true), ...allowed]);
    await upstream.waitForBytes(expected.length);
    const probe = rfb.updateRequest(true); // everything sent before it has been filtered once it arrives
    ws.send(probe);
    await upstream.waitForBytes(expected.length + probe.length);
    expect(upstream.received().equals(Buffer.concat([expected, probe]))).toBe(true);
    expect(host.proxy.sessions().find((s) => s.id === session.id)?.droppedInput).toBe(5);

    const closing = closeOf(ws);
    ws.send(Buffer.from([99, 0, 0, 0])); // a message the filter does not know: refused, not guessed
    expect(await closing).toMatchObject({ code: VNC_CLOSE_CODES.policy });
    expect(upstream.receivedBytes).toBe(expected.length + probe.length);
  });

  it('display to client: every byte the display sends before closing arrives, then 1000', async () => {
    const size = 8 * 1024 * 1024;
    const data = pattern(size, 9);
    behaviour = (socket) => socket.end(data);
    const sessions = Array.from({ length: 8 }, () => connect('view'));
    const results = await Promise.all(sessions.map((ws) => collect(ws)));
    for (const result of results) {
      expect(result.code).toBe(VNC_CLOSE_CODES.normal);
      expect(result.bytes.length).toBe(size);
      expect(result.bytes.equals(data)).toBe(true);
    }
  });

  it('a slow client: the proxy stops reading the display instead of buffering, and loses nothing', async () => {
    const size = 48 * 1024 * 1024;
    const data = pattern(size, 5);
    behaviour = (socket) => socket.end(data);
    const ws = connect('view');
    await opened(ws);
    ws.pause(); // the client stops reading: its kernel buffer fills, then ws on the proxy side queues
    const chunks: Buffer[] = [];
    ws.on('message', (d) => chunks.push(d as Buffer));
    const closing = closeOf(ws);
    let peak = 0;
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const stats = host.proxy.sessions().at(-1)!;
      peak = Math.max(peak, stats.clientQueued);
    }
    const stats = host.proxy.sessions().at(-1)!;
    expect(stats.displayPaused).toBe(true);
    // At most the high watermark plus one read of the display socket (256 KiB) lands in the proxy's queue.
    expect(peak).toBeLessThanOrEqual(1024 * 1024 + 256 * 1024);
    expect(stats.bytesToClient).toBeLessThan(size / 2); // the rest waits in the display's own buffers
    ws.resume();
    const { code } = await closing;
    expect(code).toBe(VNC_CLOSE_CODES.normal);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });

  it('a display that does not read: the proxy stops reading the client instead of buffering', async () => {
    behaviour = (socket) => socket.pause();
    const index = display.connections.length;
    const ws = connect('control');
    await opened(ws);
    const upstream = await display.connection(index);
    const message = pattern(512 * 1024, 1);
    const total = 96;
    for (let i = 0; i < total; i++) ws.send(message);
    const deadline = Date.now() + 10_000;
    while (!host.proxy.sessions().at(-1)!.clientPaused) {
      if (Date.now() > deadline) throw new Error('the proxy never stopped reading the client');
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 200)); // and it stays that way
    const stats = host.proxy.sessions().at(-1)!;
    expect(stats.clientPaused).toBe(true);
    // What the proxy holds for the display stays near one message; the rest waits on the client's side.
    expect(stats.displayQueued).toBeLessThan(8 * 1024 * 1024);
    expect(ws.bufferedAmount).toBeGreaterThan(0);
    upstream.socket.resume();
    await upstream.waitForBytes(total * message.length, 20_000);
    const received = upstream.received();
    for (let i = 0; i < total; i++) {
      expect(received.subarray(i * message.length, (i + 1) * message.length).equals(message)).toBe(true);
    }
    ws.close();
  });
});
