import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.js';
import { bridge, openDesktop, screenshot } from './helpers.js';

async function openAgent(page: Page, name: string) {
  await page.keyboard.press('Control+k');
  await page.keyboard.type(name);
  await page.keyboard.press('Enter');
  return page.getByTestId('agent-vm');
}

// An agent's dangerous action waits for a person, who approves or denies it in the Agent VM.
test('a person approves a dangerous command in the Agent VM and denies another', async ({ page, host }) => {
  const client = await bridge(host);
  await openDesktop(page, host);
  const goal = 'make a folder called build, then run `rm -rf build`';
  const approved = await client.call('process.spawn', { name: 'cleaner', goal });
  const vm = await openAgent(page, 'cleaner');
  const prompt = vm.getByTestId('approval');
  await expect(prompt).toContainText('rm -rf build', { timeout: 60_000 });
  await expect(page.getByText(`Agent ${approved.pid} waits for your approval`).first()).toBeVisible();
  await screenshot(page, 'approval-prompt');
  await prompt.getByRole('button', { name: 'Approve' }).click();
  await expect(prompt).toHaveCount(0);
  await expect
    .poll(async () => (await client.call('process.get', { pid: approved.pid })).phase, { timeout: 60_000 })
    .toBe('completed');
  await expect(client.call('fs.stat', { pid: approved.pid, path: 'build' })).rejects.toMatchObject({
    code: 'E_NOT_FOUND',
  });

  const denied = await client.call('process.spawn', { name: 'second-cleaner', goal });
  const other = await openAgent(page, 'second-cleaner');
  await expect(other.getByTestId('approval')).toContainText('rm -rf build', { timeout: 60_000 });
  await other.getByTestId('approval').getByRole('button', { name: 'Deny' }).click();
  await expect
    .poll(async () => (await client.call('process.get', { pid: denied.pid })).phase, { timeout: 60_000 })
    .toBe('failed');
  expect((await client.call('fs.stat', { pid: denied.pid, path: 'build' })).type).toBe('dir');
  client.close();
});
