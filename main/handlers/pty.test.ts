import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocketClient } from '../../shared/client/index.js';
import { tempDir } from '../../test/helpers.js';
import { startHeadlessHost, type HeadlessHost } from '../host/HeadlessHost.js';

describe('pty.screen over the bridge', () => {
  const dir = tempDir();
  let host: HeadlessHost;
  let client: WebSocketClient;
  beforeAll(async () => {
    host = await startHeadlessHost({ port: 0, dataDir: join(dir.path, 'data'), rendererDir: dir.path });
    client = await WebSocketClient.connect({
      url: host.wsUrl,
      token: host.token,
      factory: (u, p) => new WebSocket(u, p) as never,
    });
  });
  afterAll(async () => {
    client.close();
    await host.close();
    dir.cleanup();
  });

  const text = (screen: { lines: string[] }) => screen.lines.join('\n');

  it('by pid: the terminal the agent uses now (the last one it opened and still open), else its main one', async () => {
    const { pid } = await client.call('process.spawn', {});
    const [main] = (await client.call('pty.list', { pid })).terminals;
    await client.call('pty.input', { terminal: main!.terminal, data: 'echo main-$((20+1))\n' });
    await vi.waitFor(
      async () => expect(text(await client.call('pty.screen', { pid }))).toContain('main-21'),
      {
        timeout: 10_000,
      },
    );
    expect((await client.call('pty.screen', { pid })).terminal).toBe(main!.terminal);

    // a command on a terminal of its own: the preview follows it while it runs
    const extra = await client.call('pty.open', { pid });
    await client.call('pty.input', { terminal: extra.terminal, data: 'echo busy-$((40+2))\n' });
    await vi.waitFor(
      async () => expect(text(await client.call('pty.screen', { pid }))).toContain('busy-42'),
      {
        timeout: 10_000,
      },
    );
    expect((await client.call('pty.screen', { pid })).terminal).toBe(extra.terminal);

    // once it is closed, back to the shell
    await client.call('pty.close', { terminal: extra.terminal });
    const after = await client.call('pty.screen', { pid });
    expect(after.terminal).toBe(main!.terminal);
    expect(text(after)).toContain('main-21');
  });

  it('refuses an unknown agent and arguments naming neither or both', async () => {
    await expect(client.call('pty.screen', { pid: 999_999 })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await expect(client.call('pty.screen', {} as never)).rejects.toMatchObject({ code: 'E_INVALID' });
    await expect(client.call('pty.screen', { pid: 1, terminal: 1 } as never)).rejects.toMatchObject({
      code: 'E_INVALID',
    });
  });
});
