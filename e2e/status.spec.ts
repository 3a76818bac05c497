import { expect, test } from './fixtures.js';

test('the first screen shows the kernel status, and `habitat info` prints the same facts', async ({
  page,
  host,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });

  await page.goto(host.url);
  await expect(page.getByTestId('connection')).toHaveText('Connected');
  await expect(page.getByTestId('kernel-state')).toHaveText('running');
  await expect(page.getByTestId('kernel-mode')).toHaveText('headless');
  // The token leaves the address bar once read.
  expect(page.url()).not.toContain('token=');

  const cli = await host.cli(['--json', 'info']);
  expect(cli.code).toBe(0);
  const info = JSON.parse(cli.stdout);
  await expect(page.getByTestId('kernel-version')).toHaveText(info.version);
  await expect(page.getByTestId('kernel-datadir')).toHaveText(info.dataDir);
  await expect(page.getByTestId('kernel-host')).toContainText(info.host.hostname);
  await expect(page.getByTestId('kernel-agents')).toHaveText(
    `${info.agents.running} running of ${info.agents.total}`,
  );

  await page.screenshot({ path: 'test-results/screens/status.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('a page without the token explains how to get in, and cannot reach the bridge', async ({
  page,
  host,
}) => {
  await page.goto(`http://127.0.0.1:${host.port}/`);
  await expect(page.getByText('Open the address that')).toBeVisible();
  const refused = await page.evaluate(
    (wsUrl) =>
      new Promise<boolean>((resolve) => {
        const ws = new WebSocket(wsUrl, ['habitat.v1', 'habitat.token.guess']);
        ws.onopen = () => resolve(false);
        ws.onerror = () => resolve(true);
      }),
    host.wsUrl,
  );
  expect(refused).toBe(true);
});

test('the status screen shows how agents are isolated', async ({ page, host }) => {
  await page.goto(host.url);
  const cli = JSON.parse((await host.cli(['--json', 'info'])).stdout);
  await expect(page.getByTestId('kernel-isolation')).toHaveText(cli.sandbox.hostIsolation);
  // a host without bubblewrap says so loudly; with it, no warning is shown
  await expect(page.getByTestId('kernel-warning')).toHaveCount(cli.warnings.length);
});
