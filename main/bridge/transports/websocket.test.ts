import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketClient, type ConnectionState } from '../../../shared/client/index.js';
import { HabitatError } from '../../../shared/protocol/index.js';
import { EventBus } from '../../../kernel/index.js';
import { waitFor } from '../../../test/helpers.js';
import { Bridge } from '../Bridge.js';
import { attachWebSocketTransport, type WebSocketTransport } from './websocket.js';

const TOKEN = 'a2f9c0d4e8b7165f3a2f9c0d4e8b7165';
const ORIGIN = 'http://app.example';

interface Served {
  port: number;
  url: string;
  /** Upgrade requests that reached the transport, refused or not. */
  upgrades: number;
  close(): Promise<void>;
}

const open: Served[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** A real HTTP server with the bridge's transport, as the headless host wires it: GET /bridge goes to the transport. */
async function serve(token: string, port = 0): Promise<Served> {
  const bridge = new Bridge({
    handlers: { 'system.ping': ({ nonce }) => ({ pong: true, nonce, at: Date.now() }) },
    events: new EventBus(),
    logError: () => {},
  });
  const server: Server = createServer();
  const transport: WebSocketTransport = attachWebSocketTransport(bridge, {
    server,
    token,
    allowedOrigins: new Set([ORIGIN]),
  });
  server.on('request', (request, response) => {
    if (!transport.handleRequest(request, response)) response.writeHead(404).end();
  });
  const served: Served = { port: 0, url: '', upgrades: 0, close: async () => {} };
  server.prependListener('upgrade', () => served.upgrades++);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  served.port = (server.address() as AddressInfo).port;
  served.url = `ws://127.0.0.1:${served.port}/bridge`;
  served.close = async () => {
    await transport.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  open.push(served);
  return served;
}

/** Node's own WebSocket, as the CLI uses: like a browser's, it cannot read the status of a refused upgrade. */
const factory = (url: string, protocols: string[]) => new WebSocket(url, protocols) as never;

function states(client: WebSocketClient): ConnectionState[] {
  const seen: ConnectionState[] = [client.getConnectionState()];
  client.onConnectionChange((state) => seen.push(state));
  return seen;
}

describe('the bridge over HTTP: is this token accepted?', () => {
  it('answers 204 for the token, 401 for any other, 403 for a foreign origin, 405 for other methods', async () => {
    const { port } = await serve(TOKEN);
    const ask = (headers: Record<string, string>, method = 'GET') =>
      fetch(`http://127.0.0.1:${port}/bridge`, { method, headers });
    const right = await ask({ Authorization: `Bearer ${TOKEN}` });
    expect(right.status).toBe(204);
    expect(right.headers.get('cache-control')).toBe('no-store');
    const wrong = await ask({ Authorization: `Bearer ${TOKEN.slice(1)}x` });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toBe('Token refused\n');
    expect((await ask({})).status).toBe(401);
    expect((await ask({ Authorization: `Bearer ${TOKEN}`, Origin: 'http://evil.example' })).status).toBe(403);
    expect((await ask({ Authorization: `Bearer ${TOKEN}`, Origin: ORIGIN })).status).toBe(204);
    expect((await ask({ Authorization: `Bearer ${TOKEN}` }, 'POST')).status).toBe(405);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404); // not the transport's
  });
});

describe('WebSocketClient against a host that refuses its token', () => {
  it('connect() rejects with E_DENIED, not the E_UNAVAILABLE of a host that is down', async () => {
    const served = await serve(TOKEN);
    const refused = WebSocketClient.connect({ url: served.url, token: 'stale'.repeat(8), factory });
    await expect(refused).rejects.toBeInstanceOf(HabitatError);
    await expect(refused).rejects.toMatchObject({
      code: 'E_DENIED',
      message: expect.stringContaining(`the Habitat host at ${served.url} refused the token`),
    });
    // the right token still connects and is served
    const client = await WebSocketClient.connect({ url: served.url, token: TOKEN, factory });
    expect(await client.call('system.ping', { nonce: 'n' })).toMatchObject({ pong: true, nonce: 'n' });
    client.close();

    await served.close();
    await expect(WebSocketClient.connect({ url: served.url, token: TOKEN, factory })).rejects.toMatchObject({
      code: 'E_UNAVAILABLE',
    });
  });

  it('a reconnecting client ends in the refused state and stops trying', async () => {
    const served = await serve(TOKEN);
    const client = WebSocketClient.start({ url: served.url, token: `${TOKEN.slice(0, -1)}0`, factory });
    const seen = states(client);
    await waitFor(() => client.getConnectionState() === 'refused', 5000, 'the refused state');
    const upgrades = served.upgrades;
    await new Promise((resolve) => setTimeout(resolve, 1500)); // a retry would have come after ~250 ms
    expect(served.upgrades).toBe(upgrades);
    expect(seen).toEqual(['connecting', 'refused']);
    await expect(client.call('system.ping', { nonce: 'x' })).rejects.toMatchObject({ code: 'E_UNAVAILABLE' });
    client.close();
  });

  it('after the host restarts with a new token, a connected client stops at refused instead of retrying forever', async () => {
    const first = await serve(TOKEN);
    const client = WebSocketClient.start({ url: first.url, token: TOKEN, factory, maxBackoffMs: 200 });
    const seen = states(client);
    await waitFor(() => client.getConnectionState() === 'open', 5000, 'open');
    await first.close();
    await waitFor(() => client.getConnectionState() === 'reconnecting', 5000, 'reconnecting');
    // while nothing listens, a failed attempt is a host that is down: the client keeps trying
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(client.getConnectionState()).toBe('reconnecting');
    const second = await serve('b'.repeat(8) + TOKEN.slice(8), first.port);
    await waitFor(() => client.getConnectionState() === 'refused', 5000, 'refused');
    expect(seen.slice(0, 3)).toEqual(['connecting', 'open', 'reconnecting']);
    expect(seen.at(-1)).toBe('refused');
    const upgrades = second.upgrades;
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(second.upgrades).toBe(upgrades);
    client.close();
  });

  it('a token no WebSocket could carry is refused without asking the host', async () => {
    const served = await serve(TOKEN);
    const client = WebSocketClient.start({ url: served.url, token: 'with a space', factory });
    await waitFor(() => client.getConnectionState() === 'refused', 5000, 'refused');
    client.close();
  });

  it('a check that fails gives no verdict: the client keeps trying', async () => {
    const served = await serve(TOKEN);
    let checks = 0;
    const client = WebSocketClient.start({
      url: served.url,
      token: `x${TOKEN}`,
      factory,
      maxBackoffMs: 100,
      checkToken: async () => {
        checks++;
        throw new Error('no answer');
      },
    });
    await waitFor(() => checks >= 3, 5000, 'three attempts');
    expect(client.getConnectionState()).toBe('reconnecting');
    client.close();
  });
});
