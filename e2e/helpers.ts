import { mkdirSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { WebSocketClient, type WebSocketLike } from '../shared/client/index.js';
import type { CommandArgs, ProcessInfo } from '../shared/protocol/index.js';
import { expect, type ServedHost } from './fixtures.js';

export const SCREENS = 'test-results/screens';

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENS, { recursive: true });
  await page.screenshot({ path: `${SCREENS}/${name}.png` });
}

/** Opens the desktop the way a person does (the URL serve printed) and waits until it is connected. */
export async function openDesktop(page: Page, host: ServedHost): Promise<void> {
  // (every test has a fresh browser context: a first visit, with no saved workspace or theme)
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(host.url);
  await expect(page.getByTestId('connection')).toHaveText('Connected');
}

/** A bridge client for the test itself (spawning many agents is faster than many CLI runs). */
export async function bridge(host: ServedHost): Promise<WebSocketClient> {
  return WebSocketClient.connect({
    url: host.wsUrl,
    token: host.token,
    factory: (url, protocols) => new WebSocket(url, protocols) as unknown as WebSocketLike,
  });
}

export async function spawnMany(
  host: ServedHost,
  count: number,
  args: (i: number) => CommandArgs<'process.spawn'>,
): Promise<ProcessInfo[]> {
  const client = await bridge(host);
  try {
    const out: ProcessInfo[] = [];
    // a few at a time: the machine has two cores
    for (let i = 0; i < count; i += 5) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(5, count - i) }, (_, j) => client.call('process.spawn', args(i + j))),
      );
      out.push(...batch);
    }
    return out;
  } finally {
    client.close();
  }
}

export function windowOf(page: Page, kind: string) {
  return page.locator(`[data-testid="window"][data-kind="${kind}"]`);
}

/**
 * Opens an agent's VM the way a person does from the keyboard: the Smart Bar, its name, Enter. Waits for the bar,
 * and for the agent among its choices, before choosing (a loaded machine is slow).
 */
export async function openAgent(page: Page, name: string) {
  await page.keyboard.press('Control+k');
  const bar = page.getByRole('dialog', { name: 'Smart Bar' });
  await expect(bar).toBeVisible();
  await page.keyboard.type(name);
  await expect(bar.getByRole('option', { selected: true })).toContainText(name);
  await page.keyboard.press('Enter');
  // its own window (several agents' may be open), named after it: `name (#pid)`
  const title = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(#\\d+\\)$`);
  const vm = windowOf(page, 'agentVm').filter({ has: page.getByRole('heading', { name: title }) });
  await expect(vm).toHaveAttribute('data-focused', 'true');
  return vm;
}
