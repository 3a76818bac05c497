import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { openDesktop, screenshot, windowOf } from './helpers.js';

async function openAbout(page: Page) {
  await page.getByTestId('dock-settings').click();
  const settings = windowOf(page, 'settings');
  await settings.getByRole('tab', { name: 'About' }).click();
  return settings.getByTestId('kernel-status');
}

test('the top bar shows the connection and mode, and About shows what `habitat info` prints', async ({
  page,
  host,
}) => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });

  const bridges: string[] = [];
  const sent: { type: string; id: number | string; command?: string; topics?: string[] }[] = [];
  page.on('websocket', (socket) => {
    if (!socket.url().endsWith('/bridge')) return;
    bridges.push(socket.url());
    socket.on('framesent', ({ payload }) => {
      if (typeof payload === 'string') sent.push(JSON.parse(payload));
    });
  });
  // which script opens each socket: a classic script is document.currentScript while it runs, a module never
  await page.addInitScript(`{
    const Native = window.WebSocket;
    window.__openers = [];
    window.WebSocket = class extends Native {
      constructor(url, protocols) {
        super(url, protocols);
        window.__openers.push(document.currentScript?.src ?? 'a module');
      }
    };
  }`);
  // the app's script comes a moment late, as on a busy machine: the early socket has opened and asked by then (else
  // the app takes it over before it opens, and asks itself: correct too, but not what this checks)
  await page.route('**/assets/index-*.js', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 750));
    await route.continue();
  });
  await openDesktop(page, host);
  await expect(page.getByTestId('connection')).toHaveText('Connected');
  await expect(page.getByTestId('mode')).toHaveText('Headless');
  // one bridge connection, opened by public/connect-early.js before the app's scripts ran, and taken over by them
  expect(bridges).toHaveLength(1);
  expect(await page.evaluate('window.__openers')).toEqual([expect.stringMatching(/\/connect-early\.js$/)]);
  expect(await page.evaluate('window.__habitatEarlySocket === undefined')).toBe(true);
  // it asked what the store asks first, once: the store's own calls for them were answered from its answers
  const startup = ['system.info', 'process.list', 'agent.approvals', 'vnc.list', 'gpu.list'];
  for (const command of startup) {
    expect(sent.filter((m) => m.type === 'call' && m.command === command)).toEqual([
      expect.objectContaining({ id: expect.stringMatching(/^early\./) }),
    ]);
  }
  // and subscribed to nothing the store does not: the host keeps one subscription per topic
  const storeTopics = sent
    .filter((m) => m.type === 'subscribe' && typeof m.id === 'number')
    .flatMap((m) => m.topics);
  const earlyTopics = sent
    .filter((m) => m.type === 'subscribe' && m.id === 'early.topics')
    .flatMap((m) => m.topics);
  expect(earlyTopics.length).toBeGreaterThan(0);
  expect(storeTopics).toEqual(expect.arrayContaining(earlyTopics));
  // the token leaves the address bar once read
  expect(page.url()).not.toContain('token=');
  // figures arrive with system.stats
  await expect(page.getByTestId('cpu')).toHaveText(/\d+%/);
  await expect(page.getByTestId('memory')).toContainText('GiB');
  await expect(page.getByTestId('gpus')).toHaveText(/\d+ GPUs?/);

  const about = await openAbout(page);
  const cli = await host.cli(['--json', 'info']);
  expect(cli.code).toBe(0);
  const info = JSON.parse(cli.stdout);
  await expect(about.getByTestId('kernel-state')).toHaveText('running');
  await expect(about.getByTestId('kernel-mode')).toHaveText('headless');
  await expect(about.getByTestId('kernel-version')).toHaveText(info.version);
  await expect(about.getByTestId('kernel-datadir')).toHaveText(info.dataDir);
  await expect(about.getByTestId('kernel-host')).toContainText(info.host.hostname);
  await expect(about.getByTestId('kernel-agents')).toHaveText(
    `${info.agents.running} running of ${info.agents.total}`,
  );

  await screenshot(page, 'status');
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

test('the desktop shows how agents are isolated, and warns loudly when they are not', async ({
  page,
  host,
}) => {
  await openDesktop(page, host);
  const cli = JSON.parse((await host.cli(['--json', 'info'])).stdout);
  // a host without bubblewrap says so in a banner on the desktop; with it, no warning is shown
  await expect(page.getByTestId('kernel-warning')).toHaveCount(cli.warnings.length);
  const about = await openAbout(page);
  await expect(about.getByTestId('kernel-isolation')).toHaveText(cli.sandbox.hostIsolation);
});
