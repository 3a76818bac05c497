import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { WebSocketClient } from '../../shared/client/index.js';
import { WS_SUBPROTOCOL, WS_TOKEN_PREFIX } from '../../shared/protocol/envelope.js';
import { takeEarlySocket, type EarlySocket } from './earlySocket.js';

const SCRIPT = readFileSync(new URL('../public/connect-early.js', import.meta.url), 'utf8');

interface FakeWindow {
  __habitatEarlySocket?: EarlySocket;
  habitat?: unknown;
}

/** Runs public/connect-early.js as a page would, with Node's WHATWG WebSocket, in a window at this address. */
function runEarlyScript(address: string, search: string, extra: Partial<FakeWindow> = {}): FakeWindow {
  const window: FakeWindow & Record<string, unknown> = {
    location: { search, protocol: 'http:', host: address },
    sessionStorage: { getItem: () => null },
    ...extra,
  };
  runInNewContext(SCRIPT, { window, WebSocket, URLSearchParams });
  return window;
}

// A bridge stand-in on loopback: it greets at once (before the app adopts the socket) and answers calls.
describe('the early bridge socket', () => {
  let server: WebSocketServer;
  let address: string;
  const connections: { socket: ServerSocket; protocols: string[] }[] = [];

  beforeEach(async () => {
    connections.length = 0;
    server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
    });
    server.on('connection', (socket, request) => {
      const protocols = String(request.headers['sec-websocket-protocol']).split(/,\s*/);
      connections.push({ socket, protocols });
      socket.send(JSON.stringify({ type: 'event', topic: 'test.greeting', payload: { n: 1 } }));
      socket.on('message', (data) => {
        const message = JSON.parse(String(data)) as { type: string; id: number; command: string };
        if (message.type === 'call') {
          socket.send(
            JSON.stringify({ type: 'result', id: message.id, ok: true, result: { echo: message.command } }),
          );
        }
      });
    });
    await new Promise((resolve) => server.once('listening', resolve));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    for (const { socket } of connections) socket.terminate();
    await new Promise((resolve) => server.close(resolve));
  });

  it('is opened by the page script with the bridge subprotocols, and the client adopts it with what came before', async () => {
    const window = runEarlyScript(address, '?token=secret');
    const early = window.__habitatEarlySocket!;
    expect(early.url).toBe(`ws://${address}/bridge`);
    // the greeting arrives before the app's scripts would have run: it must not be lost
    await expect.poll(() => early.events.map((event) => event.type)).toEqual(['open', 'message']);
    expect(connections).toHaveLength(1);
    expect(connections[0]!.protocols).toEqual([WS_SUBPROTOCOL, `${WS_TOKEN_PREFIX}secret`]);

    const greetings: unknown[] = [];
    const states: string[] = [];
    const client = WebSocketClient.start({
      url: early.url,
      token: 'secret',
      factory: (url, protocols) => takeEarlySocket(url, protocols, window) ?? expect.unreachable(),
    });
    client.onConnectionChange((state) => states.push(state));
    client.subscribe('test.greeting', (payload) => greetings.push(payload));
    await expect.poll(() => states).toEqual(['open']);
    expect(greetings).toEqual([{ n: 1 }]);
    await expect(client.call('system.info', {})).resolves.toEqual({ echo: 'system.info' });
    expect(connections).toHaveLength(1); // no second handshake
    expect(window.__habitatEarlySocket).toBeUndefined(); // taken once
    client.close();
  });

  it('is not adopted for another token or address, nor after it closed, nor twice', async () => {
    const url = `ws://${address}/bridge`;
    const window = runEarlyScript(address, '?token=one');
    const early = window.__habitatEarlySocket!;
    expect(takeEarlySocket(url, [WS_SUBPROTOCOL, `${WS_TOKEN_PREFIX}two`], window)).toBeUndefined();
    expect(early.socket.readyState).toBeGreaterThanOrEqual(2); // closing: a stray connection is not left open
    expect(takeEarlySocket(url, [WS_SUBPROTOCOL, `${WS_TOKEN_PREFIX}one`], window)).toBeUndefined();

    const other = runEarlyScript(address, '?token=one');
    const otherEarly = other.__habitatEarlySocket!;
    expect(takeEarlySocket('ws://127.0.0.1:1/bridge', [WS_SUBPROTOCOL, `${WS_TOKEN_PREFIX}one`], other)).toBe(
      undefined,
    );
    expect(otherEarly.socket.readyState).toBeGreaterThanOrEqual(2);
  });

  it('opens nothing inside Electron or without a token', () => {
    expect(runEarlyScript(address, '?token=x', { habitat: {} }).__habitatEarlySocket).toBeUndefined();
    expect(runEarlyScript(address, '').__habitatEarlySocket).toBeUndefined();
    expect(connections).toHaveLength(0);
  });
});
