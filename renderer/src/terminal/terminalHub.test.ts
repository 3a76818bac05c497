import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeApi } from '../store/testing.js';
import { TerminalHub, type TerminalViewer } from './terminalHub.js';

const flush = () => new Promise((resolve) => setImmediate(resolve));

function fullViewer() {
  const pending: (() => void)[] = [];
  const viewer: TerminalViewer & {
    written: (string | Uint8Array)[];
    resets: string[];
    render(): void;
  } = {
    written: [],
    resets: [],
    reset(replay) {
      viewer.resets.push(replay);
    },
    write(data, done) {
      viewer.written.push(data);
      pending.push(done);
    },
    /** What xterm's write callback does once it has parsed the data. */
    render() {
      for (const done of pending.splice(0)) done();
    },
  };
  return viewer;
}

const acks = (api: FakeApi) =>
  api.calls
    .filter((c) => c.command === 'pty.ack')
    .map((c) => (c.args as { chars: number }).chars)
    .reduce((a, b) => a + b, 0);

describe('TerminalHub', () => {
  let api: FakeApi;
  let hub: TerminalHub;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    api = new FakeApi();
    hub = new TerminalHub(api, { ackBatchChars: 10, ackDelayMs: 5, lingerMs: 100 });
  });
  afterEach(() => {
    hub.dispose();
    vi.useRealTimers();
  });

  it('acknowledges output only after the viewer has rendered it, and batches small acknowledgements', async () => {
    const viewer = fullViewer();
    hub.watch(7, viewer);
    api.take('pty.attach').resolve({ terminal: 7, cols: 80, rows: 24, replay: 'screen' });
    await flush();
    expect(viewer.resets).toEqual(['screen']);

    api.emit('pty.data.7', { terminal: 7, data: 'hello' });
    api.emit('pty.data.7', { terminal: 7, data: ' world' });
    expect(viewer.written).toEqual(['hello', ' world']);
    vi.advanceTimersByTime(50);
    expect(acks(api)).toBe(0); // nothing rendered yet: no credit

    viewer.render();
    expect(acks(api)).toBe(11); // above the batch size: at once
    api.emit('pty.data.7', { terminal: 7, data: 'abc' });
    viewer.render();
    expect(acks(api)).toBe(11);
    vi.advanceTimersByTime(5);
    expect(acks(api)).toBe(14); // a small remainder follows shortly
  });

  it('hands bytes (output over WebSocket) to the viewer as they are and acknowledges them in bytes', async () => {
    const viewer = fullViewer();
    hub.watch(8, viewer);
    api.take('pty.attach').resolve({ terminal: 8, cols: 80, rows: 24, replay: '' });
    await flush();
    const bytes = new TextEncoder().encode('grüße 😀'); // 8 UTF-16 code units, 12 bytes
    api.emit('pty.data.8', { terminal: 8, data: bytes });
    expect(viewer.written).toEqual([bytes]);
    viewer.render();
    vi.advanceTimersByTime(20);
    expect(acks(api)).toBe(12);
  });

  it('shares one attach between views; one that joins gets its own replay, and credit waits for both', async () => {
    const first = fullViewer();
    const offFirst = hub.watch(3, first);
    api.take('pty.attach').resolve({ terminal: 3, cols: 80, rows: 24, replay: 'r1' });
    await flush();
    expect(api.calls.filter((c) => c.command === 'pty.attach')).toHaveLength(0);

    const second = fullViewer();
    hub.watch(3, second);
    api.emit('pty.data.3', { terminal: 3, data: 'already in the replay' });
    expect(second.written).toEqual([]); // it waits for its replay
    expect(first.written).toEqual(['already in the replay']);
    api.take('pty.attach').resolve({ terminal: 3, cols: 80, rows: 24, replay: 'r2' });
    await flush();
    expect(second.resets).toEqual(['r2']);
    expect(first.resets).toEqual(['r1']); // the first view goes on undisturbed

    api.emit('pty.data.3', { terminal: 3, data: 'live' });
    expect(second.written).toEqual(['live']);
    first.render();
    vi.advanceTimersByTime(50);
    expect(acks(api)).toBe(0); // the second view has not rendered 'live' yet
    second.render();
    vi.advanceTimersByTime(5);
    expect(acks(api)).toBe(4);

    offFirst();
    expect(api.pending('pty.detach')).toHaveLength(0);
    expect(hub.attachedCount).toBe(1);
  });

  it('never pays credit owed to a replaced consumer to the new one', async () => {
    const a = fullViewer();
    hub.watch(5, a);
    api.take('pty.attach').resolve({ terminal: 5, cols: 80, rows: 24, replay: '' });
    await flush();
    api.emit('pty.data.5', { terminal: 5, data: 'old-consumer-output' });
    const b = fullViewer();
    hub.watch(5, b); // re-attaches: the kernel replaces the consumer
    api.take('pty.attach').resolve({ terminal: 5, cols: 80, rows: 24, replay: '' });
    await flush();
    a.render();
    vi.advanceTimersByTime(50);
    expect(acks(api)).toBe(0);
  });

  it('detaches a terminal a while after its last view leaves, unless one comes back', async () => {
    const off = hub.watch(9, fullViewer());
    api.take('pty.attach').resolve({ terminal: 9, cols: 80, rows: 24, replay: '' });
    await flush();
    off();
    api.emit('pty.data.9', { terminal: 9, data: 'nobody looks' });
    vi.advanceTimersByTime(50);
    expect(acks(api)).toBe(12); // output nobody renders never holds the program up
    const again = hub.watch(9, fullViewer());
    api.take('pty.attach').resolve({ terminal: 9, cols: 80, rows: 24, replay: '' });
    await flush();
    vi.advanceTimersByTime(500);
    expect(api.pending('pty.detach')).toHaveLength(0);
    again();
    vi.advanceTimersByTime(100);
    expect(api.take('pty.detach').args).toEqual({ terminal: 9 });
    expect(api.subscribed('pty.data.9')).toBe(false);
    expect(hub.attachedCount).toBe(0);
  });

  it('attaches again after a reconnect and starts every view over from the replay', async () => {
    const full = fullViewer();
    hub.watch(4, full);
    api.take('pty.attach').resolve({ terminal: 4, cols: 80, rows: 24, replay: 'before' });
    await flush();
    api.setState('reconnecting');
    api.setState('open');
    api.take('pty.attach').resolve({ terminal: 4, cols: 100, rows: 30, replay: 'after' });
    await flush();
    expect(full.resets).toEqual(['before', 'after']);
  });

  it('tells views that the program exited, or that the terminal cannot be attached', async () => {
    const full = fullViewer();
    const exits: unknown[] = [];
    const failures: string[] = [];
    full.exited = (exit) => exits.push(exit);
    full.failed = (message) => failures.push(message);
    hub.watch(2, full);
    api.take('pty.attach').reject({ code: 'E_NOT_FOUND', message: 'no terminal 2' });
    await flush();
    expect(failures).toEqual(['no terminal 2']);
    api.emit('pty.exit.2', { terminal: 2, exitCode: 0, signal: null });
    expect(exits).toEqual([{ terminal: 2, exitCode: 0, signal: null }]);
  });
});
