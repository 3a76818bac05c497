import { describe, expect, it } from 'vitest';
import { takeEarlySocket, type EarlySocket } from './earlySocket.js';

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

function early(socket = new FakeSocket(), events: Event[] = []): { __habitatEarlySocket?: EarlySocket } {
  return {
    __habitatEarlySocket: { url: URL_, token: 'secret', socket: socket as unknown as WebSocket, events },
  };
}

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
});
