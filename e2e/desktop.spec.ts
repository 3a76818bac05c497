import type { Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { openDesktop, screenshot, spawnMany, windowOf } from './helpers.js';

async function box(locator: Locator) {
  const b = await locator.boundingBox();
  if (!b) throw new Error('not visible');
  return b;
}

async function dragBy(page: Page, handle: Locator, dx: number, dy: number, to?: { x: number; y: number }) {
  const b = await box(handle);
  const start = { x: b.x + b.width / 2, y: b.y + b.height / 2 };
  await page.mouse.move(start.x, start.y);
  await page.mouse.down();
  const end = to ?? { x: start.x + dx, y: start.y + dy };
  await page.mouse.move((start.x + end.x) / 2, (start.y + end.y) / 2, { steps: 4 });
  await page.mouse.move(end.x, end.y, { steps: 4 });
  await page.mouse.up();
}

test('windows move, snap, resize, minimise to the dock, close, and cycle by keyboard', async ({
  page,
  host,
}) => {
  await openDesktop(page, host);
  const mc = windowOf(page, 'missionControl');
  await expect(mc).toBeVisible();
  await page.getByTestId('dock-monitor').click();
  const monitor = windowOf(page, 'monitor');
  await expect(monitor).toHaveAttribute('data-focused', 'true');
  await expect(mc).toHaveAttribute('data-focused', 'false');

  // drag by the title bar
  const title = monitor.getByTestId('titlebar');
  const before = await box(monitor);
  await dragBy(page, title, -150, 40);
  const after = await box(monitor);
  expect(Math.round(after.x - before.x)).toBe(-150);
  expect(Math.round(after.y - before.y)).toBe(40);

  // resize from the bottom-right corner
  await dragBy(page, monitor.locator('.resize-se'), 60, 30);
  const resized = await box(monitor);
  expect(Math.round(resized.width - after.width)).toBe(60);
  expect(Math.round(resized.height - after.height)).toBe(30);

  // drop on the left edge: snapped to the left half of the work area
  const area = await box(page.getByTestId('workarea'));
  await dragBy(page, title, 0, 0, { x: area.x + 2, y: area.y + 200 });
  await expect(monitor).toHaveAttribute('data-snap', 'left');
  const snapped = await box(monitor);
  expect(Math.round(snapped.x)).toBe(Math.round(area.x));
  expect(Math.abs(snapped.width - area.width / 2)).toBeLessThanOrEqual(2);
  expect(Math.abs(snapped.height - area.height)).toBeLessThanOrEqual(2);
  await screenshot(page, 'desktop-snapped');

  // keyboard: cycle windows, snap the focused one right, maximise it
  await page.keyboard.press('Control+Backquote');
  await expect(mc).toHaveAttribute('data-focused', 'true');
  await expect(mc).toBeFocused();
  await page.keyboard.press('Control+Backquote');
  await expect(monitor).toHaveAttribute('data-focused', 'true');
  await page.keyboard.press('Control+Shift+Backquote');
  await expect(mc).toHaveAttribute('data-focused', 'true');
  await page.keyboard.press('Control+Alt+ArrowRight');
  await expect(mc).toHaveAttribute('data-snap', 'right');
  await page.keyboard.press('Control+Alt+ArrowUp');
  await expect(mc).toHaveAttribute('data-maximized', 'true');
  await page.keyboard.press('Control+Alt+ArrowUp');
  await expect(mc).toHaveAttribute('data-maximized', 'false');

  // minimise to the dock, and back
  await page.getByTestId('dock-monitor').click(); // brings it over Mission Control
  await expect(monitor).toHaveAttribute('data-focused', 'true');
  await monitor.getByRole('button', { name: 'Minimise' }).click();
  await expect(monitor).toBeHidden();
  await expect(mc).toHaveAttribute('data-focused', 'true');
  await page.getByTestId('dock-monitor').click();
  await expect(monitor).toBeVisible();
  await expect(monitor).toHaveAttribute('data-focused', 'true');

  // the title bar's own keys move the window, for people without a pointer
  const beforeKeys = await box(monitor);
  await monitor.getByTestId('titlebar').focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  const afterKeys = await box(monitor);
  expect(Math.round(afterKeys.x - beforeKeys.x)).toBe(16);
  expect(Math.round(afterKeys.y - beforeKeys.y)).toBe(16);

  await monitor.getByRole('button', { name: 'Close' }).click();
  await expect(monitor).toHaveCount(0);
  await expect(page.getByTestId('window')).toHaveCount(1);
});

test('the context menus open by pointer and by keyboard, and run what they offer', async ({ page, host }) => {
  await openDesktop(page, host);
  // the desktop's own menu, on an empty spot of the work area
  const area = await box(page.getByTestId('workarea'));
  await page.mouse.click(area.x + 12, area.y + area.height - 12, { button: 'right' });
  const menu = page.getByRole('menu', { name: 'Desktop' });
  await expect(menu).toBeVisible();
  await expect(menu.getByRole('menuitem').first()).toBeFocused();
  await screenshot(page, 'context-menu');
  await page.keyboard.press('Escape');
  await expect(menu).toHaveCount(0);

  await page.mouse.click(area.x + 12, area.y + area.height - 12, { button: 'right' });
  await menu.getByRole('menuitem', { name: 'System Monitor' }).click();
  await expect(windowOf(page, 'monitor')).toBeVisible();

  // a window's menu from its title bar, by keyboard (Shift+F10), then arrows and Enter
  const monitor = windowOf(page, 'monitor');
  await monitor.getByTestId('titlebar').focus();
  await page.keyboard.press('Shift+F10');
  const windowMenu = page.getByRole('menu', { name: /System Monitor window/ });
  await expect(windowMenu).toBeVisible();
  await page.keyboard.press('ArrowDown'); // Maximise
  await page.keyboard.press('ArrowDown'); // Snap left
  await page.keyboard.press('Enter');
  await expect(monitor).toHaveAttribute('data-snap', 'left');
});

test('the Smart Bar works by keyboard alone: jump to an agent, open an app, run an action', async ({
  page,
  host,
}) => {
  const [scout] = await spawnMany(host, 2, (i) => ({ name: ['scout', 'builder'][i], role: 'look around' }));
  await openDesktop(page, host);
  await page.keyboard.press('Control+k');
  const bar = page.getByRole('dialog', { name: 'Smart Bar' });
  await expect(bar).toBeVisible();
  const input = bar.getByRole('combobox');
  await expect(input).toBeFocused();
  await input.pressSequentially('scou');
  await expect(bar.getByRole('option').first()).toHaveAttribute('aria-selected', 'true');
  await expect(bar.getByRole('option').first()).toContainText('scout');
  await screenshot(page, 'smart-bar');
  await page.keyboard.press('Enter');
  await expect(bar).toHaveCount(0);
  const vm = windowOf(page, 'agentVm');
  await expect(vm).toHaveAttribute('data-focused', 'true');
  await expect(vm.getByRole('heading', { name: `scout (#${scout!.pid})` })).toBeVisible();

  // an app
  await page.keyboard.press('Control+k');
  await page.keyboard.type('settings');
  await page.keyboard.press('Enter');
  await expect(windowOf(page, 'settings')).toHaveAttribute('data-focused', 'true');

  // an action on an agent: pause it
  await page.keyboard.press('Control+k');
  await page.keyboard.type('pause builder');
  await page.keyboard.press('Enter');
  await expect
    .poll(
      async () =>
        JSON.parse((await host.cli(['--json', 'ps'])).stdout).find(
          (p: { name: string }) => p.name === 'builder',
        ).state,
    )
    .toBe('stopped');

  // Escape closes it and gives focus back
  await page.keyboard.press('Control+k');
  await expect(bar).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(bar).toHaveCount(0);
});

test('themes switch between dark, light and the system, and stay chosen', async ({ page, host }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await openDesktop(page, host);
  const html = page.locator('html');
  await expect(html).toHaveAttribute('data-theme', 'dark'); // system, and the system is dark
  const surface = () =>
    windowOf(page, 'missionControl').evaluate(
      (el) =>
        (
          globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }
        ).getComputedStyle(el).backgroundColor,
    );
  const dark = await surface();
  await screenshot(page, 'theme-dark');

  const toggle = page.getByTestId('theme-toggle');
  await expect(toggle).toHaveAccessibleName(/Theme: System/);
  await toggle.click(); // system -> dark
  await expect(toggle).toHaveAccessibleName(/Theme: Dark/);
  await toggle.click(); // dark -> light
  await expect(html).toHaveAttribute('data-theme', 'light');
  expect(await surface()).not.toBe(dark);
  await screenshot(page, 'theme-light');

  // the choice survives a reload
  await page.reload();
  await expect(page.getByTestId('connection')).toHaveText('Connected');
  await expect(html).toHaveAttribute('data-theme', 'light');

  // "system" follows the operating system as it changes
  await page.keyboard.press('Control+k');
  await page.keyboard.type("system's theme");
  await page.keyboard.press('Enter');
  await expect(html).toHaveAttribute('data-theme', 'dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await expect(html).toHaveAttribute('data-theme', 'light');
});

test('the workspace (windows, their places and what they show) is restored after a reload', async ({
  page,
  host,
}) => {
  const [agent] = await spawnMany(host, 1, () => ({ name: 'keeper' }));
  await openDesktop(page, host);
  await page.getByTestId('dock-monitor').click();
  await page.keyboard.press('Control+Alt+ArrowRight');
  await page.getByTestId('dock-settings').click();
  const settings = windowOf(page, 'settings');
  await dragBy(page, settings.getByTestId('titlebar'), -80, 50);
  await settings.getByRole('tab', { name: 'Shortcuts' }).click();
  await page.keyboard.press('Control+k');
  await page.keyboard.type('keeper');
  await page.keyboard.press('Enter');
  const vm = windowOf(page, 'agentVm');
  await vm.getByRole('tab', { name: 'Logs' }).click();
  await vm.getByRole('button', { name: 'Minimise' }).click();

  const snapshot = async () =>
    page.locator('[data-testid="window"]').evaluateAll((els) =>
      els.map((el) => ({
        kind: el.getAttribute('data-kind'),
        snap: el.getAttribute('data-snap'),
        hidden: el.hasAttribute('hidden'),
        rect: el.getAttribute('style'),
      })),
    );
  const before = await snapshot();
  await page.waitForTimeout(500); // saving is debounced
  await page.reload();
  await expect(page.getByTestId('connection')).toHaveText('Connected');
  await expect(page.getByTestId('window')).toHaveCount(4);
  expect(await snapshot()).toEqual(before);
  await expect(windowOf(page, 'monitor')).toHaveAttribute('data-snap', 'right');
  await expect(settings.getByRole('tab', { name: 'Shortcuts' })).toHaveAttribute('aria-selected', 'true');
  await page.getByTestId(`dock-agent-${agent!.pid}`).click();
  await expect(vm).toBeVisible();
  await expect(vm.getByRole('tab', { name: 'Logs' })).toHaveAttribute('aria-selected', 'true');
  await screenshot(page, 'workspace-restored');
});
