import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokensEqual } from '../bridge/index.js';
import { closed, nextMessage, opened, rawSocket, tempDir, waitFor } from '../../test/helpers.js';
import { startHeadlessHost, type HeadlessHost } from './HeadlessHost.js';

describe('WebSocket transport security, against a real headless host', () => {
  let host: HeadlessHost;
  const dir = tempDir();
  let origin: string;

  beforeAll(async () => {
    host = await startHeadlessHost({ port: 0, dataDir: dir.path, maxMessageBytes: 64 * 1024 });
    origin = `http://127.0.0.1:${host.port}`;
  });
  afterAll(async () => {
    await host.close();
    dir.cleanup();
  });

  /** After each attack the host must still answer a legitimate ping. */
  async function stillAnswers(): Promise<void> {
    const ws = rawSocket(host.wsUrl, { token: host.token });
    await opened(ws);
    const reply = nextMessage(ws);
    ws.send(JSON.stringify({ type: 'call', id: 1, command: 'system.ping', args: { nonce: 'alive' } }));
    expect(await reply).toMatchObject({ id: 1, ok: true, result: { nonce: 'alive' } });
    ws.close();
  }

  it('refuses a connection without a token (HTTP 401)', async () => {
    await expect(opened(rawSocket(host.wsUrl, {}))).rejects.toThrow('HTTP 401');
    await stillAnswers();
  });

  it('refuses a wrong token, including one that is a prefix of the right one', async () => {
    await expect(opened(rawSocket(host.wsUrl, { token: 'f'.repeat(64) }))).rejects.toThrow('HTTP 401');
    await expect(opened(rawSocket(host.wsUrl, { token: host.token.slice(0, 32) }))).rejects.toThrow(
      'HTTP 401',
    );
    await stillAnswers();
  });

  it('refuses a foreign Origin (HTTP 403) and accepts the host its own', async () => {
    await expect(
      opened(rawSocket(host.wsUrl, { token: host.token, origin: 'http://evil.example' })),
    ).rejects.toThrow('HTTP 403');
    await expect(
      opened(rawSocket(host.wsUrl, { token: host.token, origin: `http://127.0.0.1:${host.port + 1}` })),
    ).rejects.toThrow('HTTP 403');
    const own = rawSocket(host.wsUrl, { token: host.token, origin });
    await opened(own);
    own.close();
    await stillAnswers();
  });

  it('refuses a connection without the habitat subprotocol', async () => {
    const ws = rawSocket(host.wsUrl, { protocols: [`habitat.token.${host.token}`] });
    await expect(opened(ws)).rejects.toThrow();
    await stillAnswers();
  });

  it('answers not-JSON, wrong types, unknown commands and binary frames with error values', async () => {
    const ws = rawSocket(host.wsUrl, { token: host.token });
    await opened(ws);
    const replies: unknown[] = [];
    ws.on('message', (data) => replies.push(JSON.parse(data.toString())));
    ws.send('this is { not json');
    ws.send(JSON.stringify({ type: 'call', id: 'a', command: 'system.ping', args: { nonce: 123 } }));
    ws.send(JSON.stringify({ type: 'call', id: 'b', command: 'no.such.command', args: {} }));
    ws.send(JSON.stringify({ type: 'call', id: 'c', command: ['system.ping'] }));
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await waitFor(() => replies.length === 5, 3000, 'five replies');
    expect(replies[0]).toMatchObject({
      type: 'error',
      error: { code: 'E_INVALID', message: 'message is not JSON' },
    });
    expect(replies).toContainEqual(
      expect.objectContaining({ id: 'a', ok: false, error: expect.objectContaining({ code: 'E_INVALID' }) }),
    );
    expect(replies).toContainEqual(
      expect.objectContaining({
        id: 'b',
        ok: false,
        error: expect.objectContaining({ code: 'E_NOT_FOUND' }),
      }),
    );
    expect(replies).toContainEqual(
      expect.objectContaining({ id: 'c', ok: false, error: expect.objectContaining({ code: 'E_INVALID' }) }),
    );
    expect(replies.filter((r) => (r as { type: string }).type === 'error')).toHaveLength(2);
    ws.close();
    await stillAnswers();
  });

  it('closes with 1009 on a frame over the size limit', async () => {
    const ws = rawSocket(host.wsUrl, { token: host.token });
    await opened(ws);
    const end = closed(ws);
    ws.send(
      JSON.stringify({ type: 'call', id: 1, command: 'system.ping', args: { nonce: 'x'.repeat(70 * 1024) } }),
    );
    expect((await end).code).toBe(1009);
    await stillAnswers();
  });

  it('keeps a slow subscriber from growing host memory: events are dropped and counted, state coalesced', async () => {
    const ws = rawSocket(host.wsUrl, { token: host.token });
    await opened(ws);
    const subscribed = nextMessage(ws);
    ws.send(JSON.stringify({ type: 'subscribe', id: 1, topics: ['process.*', 'system.stats'] }));
    await subscribed;
    // Stop reading on the client: the kernel keeps publishing large volumes of events.
    (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const stats = host.habitat.kernel.stats();
    const pad = 'x'.repeat(200);
    for (let i = 0; i < 60_000; i++) {
      host.habitat.kernel.events.emitScoped('process.log', 7, {
        seq: i,
        pid: 7,
        type: 'load',
        at: i,
        payload: pad,
      });
      host.habitat.kernel.events.emit('system.stats', stats);
    }
    const [slow] = host.transport.connections().filter((c) => c.droppedEvents > 0);
    expect(slow, 'the slow connection was found').toBeDefined();
    expect(slow!.bufferedAmount).toBeLessThan(4 * 1024 * 1024 + 64 * 1024);
    expect(slow!.droppedEvents).toBeGreaterThan(10_000);
    expect(slow!.droppedEvents).toBeLessThanOrEqual(60_000); // the coalesced stats were not counted as dropped
    ws.terminate();
    await stillAnswers();
  });

  it('compares tokens in constant time and by value', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true);
    expect(tokensEqual('abc', 'abd')).toBe(false);
    expect(tokensEqual('ab', 'abc')).toBe(false);
    expect(tokensEqual('', 'abc')).toBe(false);
  });
});
