import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocketClient } from '../../shared/client/index.js';
import { tempDir } from '../../test/helpers.js';
import { startHeadlessHost, type HeadlessHost } from '../host/HeadlessHost.js';

describe('fs watches over the bridge', () => {
  const dir = tempDir();
  let host: HeadlessHost;
  beforeAll(async () => {
    host = await startHeadlessHost({ port: 0, dataDir: join(dir.path, 'data'), rendererDir: dir.path });
  });
  afterAll(async () => {
    await host.close();
    dir.cleanup();
  });

  it('a watch the page ended itself is not ended again when the page goes away (the Files view does this)', async () => {
    const errors = vi.spyOn(console, 'error');
    const client = await WebSocketClient.connect({
      url: host.wsUrl,
      token: host.token,
      factory: (u, p) => new WebSocket(u, p) as never,
    });
    const { pid } = await client.call('process.spawn', {});
    const kept = await client.call('fs.watch', { pid, path: '.' });
    const ended = await client.call('fs.watch', { pid, path: 'Documents' });
    await client.call('fs.unwatch', { pid, watchId: ended.watchId });
    client.close();
    await vi.waitFor(() => expect(host.habitat.bridge.sessionCount).toBe(0), { timeout: 5000 });
    expect(errors.mock.calls.filter((c) => String(c[0]).includes('session cleanup failed'))).toEqual([]);
    expect(kept.watchId).not.toBe(ended.watchId);
    errors.mockRestore();
  });
});
