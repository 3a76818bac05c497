import type { Page } from '@playwright/test';
import { expect, test, type ServedHost } from './fixtures.js';
import { bridge, openAgent, openDesktop, spawnMany } from './helpers.js';

// The Files app against a served host: what it must never lose (an agent's work, a person's edits, bytes it cannot
// show) and what it must keep doing (following the agent after the connection comes back).

/** Runs a shell command in the agent's sandbox, as the agent would. */
async function sh(host: ServedHost, pid: number, script: string): Promise<void> {
  const client = await bridge(host);
  try {
    const result = await client.call('process.exec', { pid, argv: ['sh', '-c', script] });
    expect(result.exitCode, result.stderr).toBe(0);
  } finally {
    client.close();
  }
}

/** A new agent, its Agent VM open on the Files tab. */
async function openFiles(page: Page, host: ServedHost, name: string) {
  const [agent] = await spawnMany(host, 1, () => ({ name, role: 'keep files' }));
  await openDesktop(page, host);
  const vm = await openAgent(page, name);
  await vm.getByRole('tab', { name: 'Files' }).click();
  const files = vm.getByTestId('file-browser');
  await expect(files.getByTestId('file-row').first()).toBeVisible();
  const row = (file: string) => files.locator(`[data-testid="file-row"][data-name="${file}"]`);
  return { pid: agent!.pid, vm, files, row };
}

test('after the connection drops and comes back, the Files view still follows what the agent writes', async ({
  page,
  host,
}) => {
  // keep the page's sockets, to drop them as a network blip would (the host stays up)
  await page.addInitScript(() => {
    const g = globalThis as unknown as { WebSocket: new (...a: unknown[]) => object; sockets: object[] };
    const Native = g.WebSocket;
    g.sockets = [];
    g.WebSocket = class extends Native {
      constructor(...args: unknown[]) {
        super(...args);
        g.sockets.push(this);
      }
    };
  });
  const { pid, row } = await openFiles(page, host, 'watched');
  await sh(host, pid, 'echo a > before.txt');
  await expect(row('before.txt')).toBeVisible();

  await page.evaluate(() => {
    const g = globalThis as unknown as { sockets: { close(): void }[] };
    for (const socket of g.sockets) socket.close();
  });
  await expect
    .poll(() =>
      page.evaluate(() => {
        const g = globalThis as unknown as { sockets: { readyState: number }[] };
        return g.sockets.length > 1 && g.sockets.at(-1)!.readyState === 1;
      }),
    )
    .toBe(true);
  await expect(page.getByTestId('connection')).toHaveText('Connected');

  await sh(host, pid, 'echo b > after.txt');
  await expect(row('after.txt')).toBeVisible({ timeout: 10_000 });
});
