import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { WebSocketClient, type WebSocketLike } from '../shared/client/index.js';
import { screenshot } from './helpers.js';
import { freePort, serveOn as serve, stopServe as stop } from './restartableHost.js';

test('the desktop survives a restart of the host: it says it is reconnecting, then resynchronises without a reload', async ({
  page,
}) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'habitat-e2e-'));
  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  let host = await serve(dataDir, port, token);
  try {
    const spawnAgent = async (name: string) => {
      const client = await WebSocketClient.connect({
        url: `ws://127.0.0.1:${port}/bridge`,
        token,
        factory: (url, protocols) => new WebSocket(url, protocols) as unknown as WebSocketLike,
      });
      try {
        return await client.call('process.spawn', { name });
      } finally {
        client.close();
      }
    };
    await spawnAgent('before');
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`http://127.0.0.1:${port}/?token=${token}`);
    await expect(page.getByTestId('connection')).toHaveText('Connected');
    await expect(page.getByTestId('agent-card').filter({ hasText: 'before' })).toBeVisible();

    await stop(host);
    await expect(page.getByTestId('connection')).toHaveText('Reconnecting…');
    await expect(page.getByTestId('reconnecting')).toBeVisible();
    await screenshot(page, 'reconnecting');

    host = await serve(dataDir, port, token);
    await expect(page.getByTestId('connection')).toHaveText('Connected', { timeout: 15_000 });
    await expect(page.getByTestId('reconnecting')).toHaveCount(0);
    // what happened meanwhile is read again: the old agent did not survive its kernel, so it is in the archive
    await expect(page.getByTestId('agent-card').filter({ hasText: 'before' })).toHaveCount(0);
    await expect(page.getByTestId('metric-total')).toContainText('1');
    // and events flow again: a new agent shows up by itself
    await spawnAgent('after');
    await expect(page.getByTestId('agent-card').filter({ hasText: 'after' })).toBeVisible();
    await expect(page.getByTestId('toast').filter({ hasText: 'Reconnected' })).toBeVisible();
  } finally {
    await stop(host);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
