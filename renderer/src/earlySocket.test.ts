import { describe, expect, it } from 'vitest';
import { takeEarlySocket, type EarlyCall, type EarlySocket } from './earlySocket.js';

// (the page script itself, with a real host and Chromium, is checked in e2e/status.spec.ts)

type Handler = ((event: Event) => void) | null;

/** A browser WebSocket's surface, driven by the test. */
class FakeSocket {
  readyState = 1;
  binaryType = 'arraybuffer';
  sent: unknown[] = [];
  closed: [number?, string?] | undefined;
  onopen: Handler = null;
  onmessage: Handler = null;
  onerror: Handler = null;
  onclose: Handler = null;
  send(data: unknown): void {
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.closed = [code, reason];
    this.readyState = 2;
  }
  fire(event: Event): void {
    const handler = { open: this.onopen, message: this.onmessage, error: this.onerror, close: this.onclose }[
      event.type
    ];
    handler?.(event);
  }
}

const message = (data: string): Event => Object.assign(new Event('message'), { data });
const URL_ = 'ws://127.0.0.1:7420/bridge';
const PROTOCOLS = ['habitat.v1', 'habitat.token.secret'];

function early(
  socket = new FakeSocket(),
  events: Event[] = [],
  calls: EarlyCall[] = [],
): { __habitatEarlySocket?: EarlySocket } {
  return {
    __habitatEarlySocket: {
      url: URL_,
      token: 'secret',
      socket: socket as unknown as WebSocket,
      events,
      calls,
    },
  };
}

const call = (id: number | string, command: string, args: unknown = {}): string =>
  JSON.stringify({ type: 'call', id, command, args });
const result = (id: number | string, value: unknown): Event =>
  message(JSON.stringify({ type: 'result', id, ok: true, result: value }));
const event = (topic: string, payload: unknown): Event =>
  message(JSON.stringify({ type: 'event', topic, payload }));

describe('takeEarlySocket', () => {
  it('replays what came before to the handlers set, in order, then passes events through', async () => {
    const socket = new FakeSocket();
    const from = early(socket, [new Event('open'), message('one')]);
    const adopted = takeEarlySocket(URL_, PROTOCOLS, from)!;
    const seen: string[] = [];
    adopted.onopen = () => seen.push('open');
    adopted.onmessage = (event) => seen.push(`message ${String(event.data)}`);
    adopted.onclose = (event) => seen.push(`close ${event.code}`);
    socket.fire(message('two')); // arrives before the replay: it waits its turn
    expect(seen).toEqual([]);
    await Promise.resolve();
    expect(seen).toEqual(['open', 'message one', 'message two']);
    socket.fire(message('three'));
    socket.fire(Object.assign(new Event('close'), { code: 1001, reason: '' }));
    expect(seen.slice(3)).toEqual(['message three', 'close 1001']);

    adopted.send('hello');
    expect(socket.sent).toEqual(['hello']);
    adopted.binaryType = 'nodebuffer'; // what Node's ws knows: a browser keeps its own
    expect(adopted.binaryType).toBe('arraybuffer');
    expect(from.__habitatEarlySocket).toBeUndefined(); // taken once
    expect((from as { __habitatStarted?: boolean }).__habitatStarted).toBe(true); // a late connect-early.js steps aside
    expect(takeEarlySocket(URL_, PROTOCOLS, from)).toBeUndefined();
  });

  it('closes an early socket opened for another token or address, and ignores one already closed', () => {
    const wrongToken = new FakeSocket();
    expect(takeEarlySocket(URL_, ['habitat.v1', 'habitat.token.other'], early(wrongToken))).toBeUndefined();
    expect(wrongToken.closed).toEqual([1000, 'replaced']);

    const wrongUrl = new FakeSocket();
    expect(takeEarlySocket('ws://127.0.0.1:1/bridge', PROTOCOLS, early(wrongUrl))).toBeUndefined();
    expect(wrongUrl.closed).toBeDefined();

    const gone = new FakeSocket();
    gone.readyState = 3;
    expect(takeEarlySocket(URL_, PROTOCOLS, early(gone))).toBeUndefined();
    expect(gone.closed).toBeUndefined();
    expect(takeEarlySocket(URL_, PROTOCOLS, {})).toBeUndefined();
  });

  it("answers the app's first calls for what the early socket asked, in stream order, without asking twice", async () => {
    const socket = new FakeSocket();
    const calls = [
      { id: 'early.0', command: 'process.list', args: {} },
      { id: 'early.1', command: 'vnc.list', args: {} },
    ];
    // the events and one answer came before the app took the socket over; the other answer comes after
    const from = early(
      socket,
      [new Event('open'), event('process.changed', { pid: 1 }), result('early.0', { processes: ['a'] })],
      calls,
    );
    const adopted = takeEarlySocket(URL_, PROTOCOLS, from)!;
    const seen: unknown[] = [];
    adopted.onmessage = (e) => seen.push(JSON.parse(String(e.data)));
    adopted.onopen = () => {
      // what the store does once connected: these go out now, as the client sends them
      adopted.send(call(7, 'process.list'));
      adopted.send(call(8, 'vnc.list'));
      adopted.send(call(9, 'gpu.list'));
    };
    await Promise.resolve();
    expect(socket.sent).toEqual([call(9, 'gpu.list')]); // only what was not asked early
    socket.fire(result('early.1', { displays: [] }));
    socket.fire(result('early.9', 'not ours')); // an id the app never claimed passes as it is
    expect(seen).toEqual([
      { type: 'event', topic: 'process.changed', payload: { pid: 1 } },
      { type: 'result', id: 7, ok: true, result: { processes: ['a'] } },
      { type: 'result', id: 8, ok: true, result: { displays: [] } },
      { type: 'result', id: 'early.9', ok: true, result: 'not ours' },
    ]);
  });

  it('sends calls made once the app has heard from the host, and those whose arguments differ', async () => {
    const socket = new FakeSocket();
    const from = early(
      socket,
      [new Event('open')],
      [
        { id: 'early.0', command: 'process.list', args: {} },
        { id: 'early.1', command: 'system.info', args: {} },
      ],
    );
    const adopted = takeEarlySocket(URL_, PROTOCOLS, from)!;
    adopted.onmessage = () => undefined;
    adopted.onopen = () => adopted.send(call(1, 'system.info', { verbose: true }));
    await Promise.resolve();
    socket.fire(event('system.stats', {}));
    adopted.send(call(2, 'process.list')); // too late: events since the early answer may be newer than it
    expect(socket.sent).toEqual([call(1, 'system.info', { verbose: true }), call(2, 'process.list')]);
  });

  it('sends everything when the app took the socket over before it opened (no early calls went out)', async () => {
    const socket = new FakeSocket();
    socket.readyState = 0;
    const adopted = takeEarlySocket(URL_, PROTOCOLS, early(socket))!;
    adopted.onopen = () => adopted.send(call(1, 'process.list'));
    await Promise.resolve();
    socket.fire(new Event('open'));
    expect(socket.sent).toEqual([call(1, 'process.list')]);
  });
});
