import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { screenshot } from './helpers.js';
import { freePort, serveOn, stopServe } from './restartableHost.js';

/** The page's answer to a token the host refuses: the screen that asks for the address serve printed. */
async function expectRefusedGate(page: Page): Promise<void> {
  const gate = page.getByTestId('token-gate');
  await expect(gate).toBeVisible({ timeout: 15_000 });
  await expect(gate).toHaveAttribute('data-refused', 'true');
  await expect(gate.getByRole('alert')).toContainText('The host refused this page’s access token');
  await expect(gate).toContainText('Open the address that habitat serve printed');
  await expect(page.getByText('Reconnecting…')).toHaveCount(0);
  // forgotten for this tab: a reload does not try it again
  expect(await page.evaluate(() => sessionStorage.getItem('habitat.token'))).toBeNull();
}

test('a wrong token ends on the screen that asks for the address serve printed, not on "Reconnecting…"', async ({
  page,
  host,
}) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`http://127.0.0.1:${host.port}/?token=${'0123456789abcdef'.repeat(4)}`);
  await expectRefusedGate(page);
  await screenshot(page, 'token-refused');
  // it stays there (no retry turns it into "Reconnecting…"), and a reload has no token left to try
  await page.waitForTimeout(1500);
  await expect(page.getByTestId('token-gate')).toHaveAttribute('data-refused', 'true');
  await page.reload();
  await expect(page.getByTestId('token-gate')).toHaveAttribute('data-refused', 'false');
  // the address serve printed still opens the desktop
  await page.goto(host.url);
  await expect(page.getByTestId('connection')).toHaveText('Connected');
});

test('after the host restarts with a new token, an open tab ends on that screen, and a reload too', async ({
  page,
}) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'habitat-e2e-'));
  const port = await freePort();
  const token = (): string => randomBytes(32).toString('hex');
  const before = token();
  let host = await serveOn(dataDir, port, before);
  try {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`http://127.0.0.1:${port}/?token=${before}`);
    await expect(page.getByTestId('connection')).toHaveText('Connected');

    await stopServe(host);
    await expect(page.getByTestId('connection')).toHaveText('Reconnecting…');
    const after = token();
    host = await serveOn(dataDir, port, after);
    await expectRefusedGate(page);

    // the tab reloaded from its stored token (the usual case): refused at once, then the same screen
    await page.evaluate((stale) => sessionStorage.setItem('habitat.token', stale), before);
    await page.reload();
    await expectRefusedGate(page);

    await page.goto(`http://127.0.0.1:${port}/?token=${after}`);
    await expect(page.getByTestId('connection')).toHaveText('Connected');
  } finally {
    await stopServe(host);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
