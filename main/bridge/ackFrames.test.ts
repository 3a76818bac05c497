import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebSocketClient } from '../../shared/client/index.js';
import { encodeAckFrame, HabitatError } from '../../shared/protocol/index.js';
import { EventBus } from '../../kernel/index.js';
import { waitFor } from '../../test/helpers.js';
import { Bridge, attachWebSocketTransport, type Handlers } from './index.js';

const TOKEN = 'ack-token';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A bridge over a real WebSocket server whose pty.ack records what it was given, on which connection. */
async function serve() {
  const acks: { terminal: number; chars: number; session: number }[] = [];
  const handlers: Handlers = {
    'pty.ack': ({ terminal, chars }, context) => {
      acks.push({ terminal, chars, session: context.sessionId });
      if (terminal === 13) throw new HabitatError('E_CONFLICT', `terminal ${terminal} is not attached`);
      return {};
    },
    'system.ping': ({ nonce }) => ({ pong: true, nonce, at: Date.now() }),
  };
  const bridge = new Bridge({ handlers, events: new EventBus(), logError: () => {} });
  const server = createServer();
  const transport = attachWebSocketTransport(bridge, { server, token: TOKEN, allowedOrigins: new Set() });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    await transport.close();
    await new Promise((resolve) => server.close(resolve));
  });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/bridge`;
  return { acks, url };
}

describe('terminal acknowledgements over WebSocket', () => {
  it('go from the client as binary frames that are credited and never answered', async () => {
    const { acks, url } = await serve();
    const client = await WebSocketClient.connect({
      url,
      token: TOKEN,
      factory: (u, p) => new WebSocket(u, p) as never,
    });
    cleanups.push(async () => client.close());
    const raw = new WebSocket(url, ['habitat.v1', `habitat.token.${TOKEN}`]);
    cleanups.push(async () => raw.close());
    const replies: unknown[] = [];
    raw.on('message', (data: Buffer) => replies.push(JSON.parse(data.toString())));
    await new Promise((resolve) => raw.once('open', resolve));

    // the client's pty.ack resolves once sent, whether or not it still applies (13 is not attached)
    await expect(client.call('pty.ack', { terminal: 7, chars: 1234 })).resolves.toEqual({});
    await expect(client.call('pty.ack', { terminal: 13, chars: 1 })).resolves.toEqual({});
    // arguments no frame can carry go as a call, and are refused as one
    await expect(client.call('pty.ack', { terminal: 7, chars: 0 })).rejects.toMatchObject({
      code: 'E_INVALID',
    });
    await waitFor(() => acks.length === 2, 2000, 'two acknowledgements');
    expect(acks.map(({ terminal, chars }) => [terminal, chars])).toEqual([
      [7, 1234],
      [13, 1],
    ]);

    // on the wire: no answer to an acknowledgement, the next call's answer comes first
    raw.send(encodeAckFrame(9, 99)!, { binary: true });
    raw.send(JSON.stringify({ type: 'call', id: 'after', command: 'system.ping', args: { nonce: 'n' } }));
    await waitFor(() => replies.length === 1, 2000, 'the answer to the ping');
    expect(replies[0]).toMatchObject({ type: 'result', id: 'after', ok: true });
    expect(acks.at(-1)).toMatchObject({ terminal: 9, chars: 99 });
    expect(acks.at(-1)!.session).not.toBe(acks[0]!.session); // credited to the connection that sent it

    // any other binary frame is answered as malformed, as before
    const zeroChars = encodeAckFrame(9, 99)!;
    zeroChars.fill(0, 5);
    raw.send(zeroChars, { binary: true });
    raw.send(Buffer.from([2, 0, 0]), { binary: true });
    await waitFor(() => replies.length === 3, 2000, 'two error values');
    for (const reply of replies.slice(1)) {
      expect(reply).toMatchObject({
        type: 'error',
        error: { code: 'E_INVALID', message: 'malformed message' },
      });
    }
    expect(acks).toHaveLength(3);
  });
});
