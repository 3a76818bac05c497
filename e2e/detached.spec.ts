import { expect, test } from './fixtures.js';
import { bridge, openDesktop, screenshot } from './helpers.js';

// The desktop app opens an Agent VM in a window of its own at #agent=<pid>; the page is the same in a browser.
test('a detached Agent VM shows one agent alone, live, and leaves the main workspace as it was', async ({
  page,
  host,
}) => {
  const client = await bridge(host);
  const agent = await client.call('process.spawn', { name: 'detached-one' });
  await openDesktop(page, host);
  const mainWindows = await page.getByTestId('window').count();

  const detached = await page.context().newPage();
  await detached.setViewportSize({ width: 1000, height: 700 });
  await detached.goto(`${host.url}#agent=${agent.pid}`);
  await expect(detached.getByTestId('detached-agent')).toBeVisible();
  await expect(detached.getByTestId('dock-deploy')).toHaveCount(0);
  await expect(detached.getByTestId('window')).toHaveCount(1);
  const rows = detached.getByTestId('terminal-view').locator('.xterm-rows');
  await expect(rows).toContainText('agent@');
  await detached.getByTestId('terminal-view').click();
  await detached.keyboard.type('echo detached-$((40+2))');
  await detached.keyboard.press('Enter');
  await expect(rows).toContainText('detached-42');
  // kept in sync: a signal sent from elsewhere shows in this window
  await client.call('process.signal', { pid: agent.pid, signal: 'STOP' });
  await expect(detached.getByRole('button', { name: 'Resume detached-one' })).toBeVisible();
  await screenshot(detached, 'detached-agent');

  // the main page's saved workspace is untouched by the detached one
  await page.reload();
  await expect(page.getByTestId('connection')).toHaveText('Connected');
  await expect(page.getByTestId('window')).toHaveCount(mainWindows);
  client.close();
});
