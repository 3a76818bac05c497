import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebSocketClient } from '../../shared/client/index.js';
import { VNC_CLOSE_CODES, VNC_SUBPROTOCOL, VNC_TOKEN_PREFIX } from '../../shared/protocol/index.js';
import { closed, opened, rawSocket, tempDir } from '../../test/helpers.js';
import { startHeadlessHost, type HeadlessHost } from './HeadlessHost.js';

/** A viewer's raw socket: the subprotocols noVNC offers, a token, maybe an Origin or a Host of its own. */
function viewer(url: string, token?: string, headers: { origin?: string; host?: string } = {}): WebSocket {
  const protocols = [VNC_SUBPROTOCOL, ...(token === undefined ? [] : [`${VNC_TOKEN_PREFIX}${token}`])];
  return new WebSocket(url, protocols, {
    perMessageDeflate: false,
    ...(headers.origin ? { origin: headers.origin } : {}),
    ...(headers.host ? { headers: { host: headers.host } } : {}),
  });
}

describe('the VNC proxy on the headless host, beside the bridge', () => {
  let host: HeadlessHost;
  let client: WebSocketClient;
  const dir = tempDir();
  let base: string;

  beforeAll(async () => {
    host = await startHeadlessHost({ port: 0, dataDir: dir.path, warmPool: { size: 0 } });
    base = `ws://127.0.0.1:${host.port}`;
    client = await WebSocketClient.connect({
      url: host.wsUrl,
      token: host.token,
      factory: (url, protocols) => new WebSocket(url, protocols) as never,
    });
  });
  afterAll(async () => {
    client.close();
    await host.close();
    dir.cleanup();
  });

  it('routes /vnc/<pid> to the proxy and /bridge to the bridge; any other path is a 404', async () => {
    await expect(opened(rawSocket(`${base}/elsewhere`, { token: host.token }))).rejects.toThrow('HTTP 404');
    await expect(opened(viewer(`${base}/vnc/not-a-pid`, 'x'))).rejects.toThrow('HTTP 404');
    const bridge = rawSocket(host.wsUrl, { token: host.token });
    await opened(bridge);
    bridge.close();
    // the proxy answers with close codes a browser can read: no token, a made-up token
    expect(await closed(viewer(`${base}/vnc/1`))).toMatchObject({ code: VNC_CLOSE_CODES.badToken });
    expect(await closed(viewer(`${base}/vnc/1`, 'f'.repeat(64)))).toMatchObject({
      code: VNC_CLOSE_CODES.badToken,
      reason: 'token unknown',
    });
  });

  it("holds viewers to the host's own Origin and Host names", async () => {
    const token = host.vnc.issue({ agent: 1, socketPath: '/nonexistent', mode: 'view' }).token;
    expect(await closed(viewer(`${base}/vnc/1`, token, { origin: 'http://evil.example' }))).toMatchObject({
      code: VNC_CLOSE_CODES.foreignOrigin,
    });
    await expect(
      opened(viewer(`${base}/vnc/1`, token, { host: `rebind.example:${host.port}` })),
    ).rejects.toThrow('HTTP 421');
    // the host's own origin passes the checks; the display behind this token does not exist
    const own = viewer(
      `${base}/vnc/1`,
      host.vnc.issue({ agent: 1, socketPath: '/nonexistent', mode: 'view' }).token,
      {
        origin: `http://127.0.0.1:${host.port}`,
      },
    );
    expect(await closed(own)).toMatchObject({ code: VNC_CLOSE_CODES.displayGone });
  });

  it('uses the kernel tokens: what vnc.open issues is what the proxy redeems', () => {
    expect(host.vnc.tokens).toBe(host.habitat.kernel.displays.tokens);
  });

  it('answers vnc.* with error values: no such process, no display, graphical host agents refused', async () => {
    await expect(client.call('vnc.open', { pid: 999 })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await expect(client.call('process.spawn', { graphical: true })).rejects.toMatchObject({
      code: 'E_INVALID',
    });
    const plain = await client.call('process.spawn', {});
    await expect(client.call('vnc.open', { pid: plain.pid, mode: 'control' })).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
      message: expect.stringContaining('has no display'),
    });
    await expect(client.call('vnc.screenshot', { pid: plain.pid })).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
    });
    await expect(client.call('vnc.open', { pid: plain.pid, mode: 'owner' as never })).rejects.toMatchObject({
      code: 'E_INVALID',
    });
    expect(await client.call('vnc.list', {})).toEqual({ displays: [] });
    await client.call('process.signal', { pid: plain.pid, signal: 'KILL' });
  });
});
