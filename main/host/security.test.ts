import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokensEqual } from '../bridge/index.js';
import { closed, nextMessage, opened, rawSocket, tempDir, waitFor } from '../../test/helpers.js';
import { runCli } from '../../test/servedCli.js';
import { WebSocketClient } from '../../shared/client/index.js';
import { EXIT } from '../cli/context.js';
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

  it('tells a client that cannot read the 401 why: a GET of /bridge answers it, under the Host check', async () => {
    const ask = (token: string, headers: Record<string, string> = {}) =>
      fetch(`http://127.0.0.1:${host.port}/bridge`, {
        headers: { Authorization: `Bearer ${token}`, ...headers },
      });
    expect((await ask(host.token)).status).toBe(204);
    expect((await ask('f'.repeat(64))).status).toBe(401);
    expect((await ask(host.token, { Origin: 'http://evil.example' })).status).toBe(403);
    // a rebound name gets nothing, not even the verdict
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: host.port,
          path: '/bridge',
          headers: { host: 'evil.example', authorization: `Bearer ${host.token}` },
        },
        (res) => resolve(res.statusCode ?? 0),
      );
      req.on('error', reject);
      req.end();
    });
    expect(rebound).toBe(421);
    // and the client stops there: E_DENIED, where a host that is down is E_UNAVAILABLE
    await expect(
      WebSocketClient.connect({
        url: host.wsUrl,
        token: 'f'.repeat(64),
        factory: (url, protocols) => new WebSocket(url, protocols) as never,
      }),
    ).rejects.toMatchObject({ code: 'E_DENIED' });
    await stillAnswers();
  });

  it('the CLI says a wrong token was refused, and exits 3 as README says', async () => {
    const run = await runCli(['--url', `http://127.0.0.1:${host.port}/`, '--token', 'f'.repeat(64), 'ps']);
    expect(run.code).toBe(EXIT.unavailable);
    expect(run.stderr).toMatch(
      /^habitat: E_DENIED: the Habitat host at ws:\/\/127\.0\.0\.1:\d+\/bridge refused the token.*`habitat serve` printed/,
    );
    const json = await runCli(['--json', '--url', host.url.replace(/token=\w+/, 'token=stale'), 'ps']);
    expect(json.code).toBe(EXIT.unavailable);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'E_DENIED' } });
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
