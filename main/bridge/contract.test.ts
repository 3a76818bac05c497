import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IpcMainEvent, MessagePortMain } from 'electron';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ClientCore, WebSocketClient } from '../../shared/client/index.js';
import { decodeBinaryFrame, HabitatError, terminalText } from '../../shared/protocol/index.js';
import { EventBus } from '../../kernel/index.js';
import {
  Bridge,
  attachIpcTransport,
  attachWebSocketTransport,
  connectInMemory,
  IPC_CONNECT_CHANNEL,
  type Handlers,
} from './index.js';

/** Each transport yields a client plus a way to push raw, unvalidated messages at the host. */
interface Harness {
  client: ClientCore;
  sendRaw(value: unknown): void;
  receivedRaw: unknown[];
  close(): Promise<void>;
}

const TOKEN = 'contract-token';
/** Multi-byte characters, an astral one, escapes: what terminal output holds, about 100 KB of it. */
const TTY_TEXT = 'h\u00e9llo \u2713 \u{1F600} \u001b[31mred\u001b[0m\r\n'.repeat(3000);

function makeBridge(bus: EventBus): Bridge {
  const handlers: Handlers = {
    'system.ping': ({ nonce }, context) => {
      if (nonce === 'boom') throw new Error('secret internal detail');
      if (nonce === 'denied') throw new HabitatError('E_DENIED', 'not for you', { why: 'test' });
      if (nonce === 'bad-result') return { pong: false } as never;
      if (nonce === 'slow') return new Promise((r) => setTimeout(() => r({ pong: true, nonce, at: 1 }), 50));
      if (nonce === 'tty') context.push('pty.data.7', { terminal: 7, data: TTY_TEXT });
      return { pong: true, nonce, at: Date.now() };
    },
  };
  return new Bridge({ handlers, events: bus, logError: () => {} });
}

const transports: Record<string, (bridge: Bridge) => Promise<Harness>> = {
  memory: async (bridge) => {
    const connection = connectInMemory(bridge);
    const receivedRaw: unknown[] = [];
    const session = bridge.openSession(
      { send: (m) => receivedRaw.push(JSON.parse(JSON.stringify(m))) },
      'memory',
    );
    return {
      client: connection.client,
      sendRaw: (value) => queueMicrotask(() => session.handle(value)),
      receivedRaw,
      close: async () => {
        connection.close();
        session.close();
      },
    };
  },

  websocket: async (bridge) => {
    const server: Server = createServer();
    const transport = attachWebSocketTransport(bridge, { server, token: TOKEN, allowedOrigins: new Set() });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/bridge`;
    const client = await WebSocketClient.connect({
      url,
      token: TOKEN,
      factory: (u, p) => new WebSocket(u, p) as never,
    });
    const raw = new WebSocket(url, ['habitat.v1', `habitat.token.${TOKEN}`]);
    const receivedRaw: unknown[] = [];
    raw.on('message', (data: Buffer, isBinary) =>
      receivedRaw.push(isBinary ? { binary: decodeBinaryFrame(data) } : JSON.parse(data.toString())),
    );
    await new Promise((r) => raw.once('open', r));
    return {
      client,
      sendRaw: (value) => raw.send(typeof value === 'string' ? value : JSON.stringify(value)),
      receivedRaw,
      close: async () => {
        client.close();
        raw.close();
        await transport.close();
        await new Promise((r) => server.close(r));
      },
    };
  },

  ipc: async (bridge) => {
    // Stands in for ipcMain and MessagePortMain with Node's own MessagePorts (the same structured-clone semantics).
    const listeners = new Map<string, (event: IpcMainEvent) => void>();
    const ipcMain = {
      on: (channel: string, listener: (event: IpcMainEvent) => void) => listeners.set(channel, listener),
      removeListener: (channel: string) => listeners.delete(channel),
    };
    const transport = attachIpcTransport(bridge, {
      ipcMain,
      isTrustedFrame: (frame) => frame?.url === 'app://habitat/index.html' && frame.parent === null,
    });
    const connect = (onMessage: (data: unknown) => void): MessagePort => {
      const channel = new MessageChannel();
      const mainSide = asMessagePortMain(channel.port2);
      listeners.get(IPC_CONNECT_CHANNEL)!({
        ports: [mainSide],
        senderFrame: { url: 'app://habitat/index.html', parent: null },
      } as unknown as IpcMainEvent);
      channel.port1.on('message', onMessage);
      return channel.port1;
    };
    const client: ClientCore = new ClientCore((message) => port.postMessage(message));
    const port = connect((data) => client.receive(data));
    client.setState('open');
    const receivedRaw: unknown[] = [];
    const rawPort = connect((data) => receivedRaw.push(data));
    return {
      client,
      sendRaw: (value) => rawPort.postMessage(value),
      receivedRaw,
      close: async () => {
        port.close();
        rawPort.close();
        transport.close();
      },
    };
  },
};

/** Electron's MessagePortMain emits { data }, Node's MessagePort emits the data itself. */
function asMessagePortMain(port: MessagePort): MessagePortMain {
  return {
    postMessage: (message: unknown) => port.postMessage(message),
    on: (event: string, listener: (arg: unknown) => void) => {
      if (event === 'message') port.on('message', (data) => listener({ data, ports: [] }));
      else port.on(event, listener);
    },
    start: () => port.start(),
    close: () => port.close(),
  } as unknown as MessagePortMain;
}

async function until<T>(read: () => T | undefined, timeoutMs = 3000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

for (const [name, open] of Object.entries(transports)) {
  describe(`bridge contract over ${name}`, () => {
    let harness: Harness | undefined;
    let bus: EventBus;
    const setup = async (): Promise<Harness> => {
      bus = new EventBus();
      harness = await open(makeBridge(bus));
      return harness;
    };
    afterEach(async () => harness?.close());

    it('answers a call with its validated result', async () => {
      const { client } = await setup();
      const result = await client.call('system.ping', { nonce: 'n1' });
      expect(result).toMatchObject({ pong: true, nonce: 'n1' });
      expect(typeof result.at).toBe('number');
    });

    it('keeps concurrent calls apart', async () => {
      const { client } = await setup();
      const results = await Promise.all(
        ['slow', 'a', 'b', 'c'].map((nonce) => client.call('system.ping', { nonce })),
      );
      expect(results.map((r) => r.nonce)).toEqual(['slow', 'a', 'b', 'c']);
    });

    it('delivers terminal output pushed to a connection intact, whatever its characters', async () => {
      const { client } = await setup();
      const received: unknown[] = [];
      client.subscribe('pty.data.7', (payload, topic) => received.push({ topic, payload }));
      await client.call('system.ping', { nonce: 'tty' });
      const event = (await until(() => received[0])) as {
        topic: string;
        payload: { terminal: number; data: string | Uint8Array };
      };
      // text in memory, the UTF-8 bytes over WebSocket (shared/protocol/frames.ts)
      const { data } = event.payload;
      expect(name === 'websocket' ? data instanceof Uint8Array : typeof data === 'string').toBe(true);
      expect({ ...event, payload: { ...event.payload, data: terminalText(data) } }).toEqual({
        topic: 'pty.data.7',
        payload: { terminal: 7, data: TTY_TEXT },
      });
    });

    it('refuses an unknown command with E_NOT_FOUND', async () => {
      const { client } = await setup();
      await expect(client.call('nope.nothing' as never)).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    });

    it('refuses arguments that fail the schema with E_INVALID and the offending path', async () => {
      const { client } = await setup();
      const error = await client.call('system.ping', { nonce: 42 } as never).catch((e: HabitatError) => e);
      expect(error).toBeInstanceOf(HabitatError);
      expect(error).toMatchObject({ code: 'E_INVALID' });
      expect(JSON.stringify((error as HabitatError).details)).toContain('nonce');
    });

    it('answers E_UNAVAILABLE for a command without a handler', async () => {
      const { client } = await setup();
      await expect(client.call('system.info', {})).rejects.toMatchObject({ code: 'E_UNAVAILABLE' });
    });

    it('passes a HabitatError through as its value', async () => {
      const { client } = await setup();
      await expect(client.call('system.ping', { nonce: 'denied' })).rejects.toMatchObject({
        code: 'E_DENIED',
        message: 'not for you',
        details: { why: 'test' },
      });
    });

    it('hides internal failures behind E_INTERNAL, without the stack or message', async () => {
      const { client } = await setup();
      const error = (await client.call('system.ping', { nonce: 'boom' }).catch((e) => e)) as HabitatError;
      expect(error.code).toBe('E_INTERNAL');
      expect(error.message).not.toContain('secret');
      expect(JSON.stringify(error.details ?? null)).not.toContain('at ');
    });

    it('refuses a handler result that fails its schema', async () => {
      const { client } = await setup();
      await expect(client.call('system.ping', { nonce: 'bad-result' })).rejects.toMatchObject({
        code: 'E_INTERNAL',
      });
    });

    it('delivers subscribed events by exact topic and by pattern, and stops after unsubscribe', async () => {
      const { client } = await setup();
      const exact: unknown[] = [];
      const pattern: string[] = [];
      const offExact = client.subscribe('bridge.dropped', (p) => exact.push(p));
      client.subscribe('system.*', (_p, topic) => pattern.push(topic));
      await client.call('system.ping', {}); // subscriptions are processed in order before this answer
      bus.emit('bridge.dropped', { count: 3 });
      bus.emit('system.stats', {
        at: 'x',
        uptimeMs: 1,
        cpu: 0,
        memoryTotal: 1,
        memoryFree: 1,
        kernelRss: 1,
        agents: { total: 0, running: 0 },
      });
      await until(() => (exact.length === 1 && pattern.length === 1 ? true : undefined));
      expect(exact).toEqual([{ count: 3 }]);
      expect(pattern).toEqual(['system.stats']);
      offExact();
      await client.call('system.ping', {});
      bus.emit('bridge.dropped', { count: 4 });
      await client.call('system.ping', {});
      expect(exact).toHaveLength(1);
    });

    it('answers malformed messages with error values and keeps serving', async () => {
      const h = await setup();
      h.sendRaw({ type: 'call', id: 7, command: 5 });
      h.sendRaw({ type: 'warp', id: 8 });
      h.sendRaw(null);
      h.sendRaw({ type: 'subscribe', id: 9, topics: ['../../etc'] });
      const replies = await until(() => (h.receivedRaw.length >= 4 ? h.receivedRaw : undefined));
      expect(replies).toContainEqual(
        expect.objectContaining({ id: 7, ok: false, error: expect.objectContaining({ code: 'E_INVALID' }) }),
      );
      expect(replies).toContainEqual(expect.objectContaining({ id: 8, ok: false }));
      expect(replies).toContainEqual(
        expect.objectContaining({ type: 'error', error: expect.objectContaining({ code: 'E_INVALID' }) }),
      );
      expect(replies).toContainEqual(expect.objectContaining({ id: 9, ok: false }));
      await expect(h.client.call('system.ping', { nonce: 'after' })).resolves.toMatchObject({
        nonce: 'after',
      });
    });

    it('releases its subscriptions when the connection closes', async () => {
      const h = await setup();
      h.client.subscribe('system.stats', () => {});
      await h.client.call('system.ping', {});
      expect(bus.hasListeners('system.stats')).toBe(true);
      await h.close();
      harness = undefined;
      await until(() => (bus.hasListeners('system.stats') ? undefined : true));
    });
  });
}

describe('ipc transport frame checks', () => {
  it('refuses ports from a foreign origin or a subframe', () => {
    const bus = new EventBus();
    const listeners = new Map<string, (event: IpcMainEvent) => void>();
    const transport = attachIpcTransport(makeBridge(bus), {
      ipcMain: {
        on: (c: string, l: (e: IpcMainEvent) => void) => listeners.set(c, l),
        removeListener: () => {},
      },
      isTrustedFrame: (frame) => frame?.url.startsWith('app://habitat/') === true && frame.parent === null,
    });
    const attempt = (url: string, parent: unknown): boolean => {
      const channel = new MessageChannel();
      let closed = false;
      const port = asMessagePortMain(channel.port2);
      const original = port.close.bind(port);
      port.close = () => {
        closed = true;
        original();
      };
      listeners.get(IPC_CONNECT_CHANNEL)!({
        ports: [port],
        senderFrame: { url, parent },
      } as unknown as IpcMainEvent);
      channel.port1.close();
      return closed;
    };
    expect(attempt('https://evil.example/', null)).toBe(true);
    expect(attempt('app://habitat/index.html', { url: 'app://habitat/' })).toBe(true);
    expect(transport.sessionCount()).toBe(0);
    transport.close();
  });
});
