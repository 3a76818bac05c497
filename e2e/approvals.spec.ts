import { expect, test } from './fixtures.js';
import { bridge, openDesktop, screenshot, openAgent } from './helpers.js';

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

test('an agent deployed with a goal works on it with the offline planner and completes', async ({
  page,
  host,
}) => {
  const client = await bridge(host);
  await openDesktop(page, host);
  await page.getByTestId('dock-deploy').click();
  const dialog = page.getByRole('dialog', { name: 'Deploy an agent' });
  await dialog.getByLabel('Name', { exact: true }).fill('writer');
  await dialog.getByLabel('Goal').fill("create notes/hello.md with content 'hello from the planner'");
  await expect(dialog.getByLabel('Model provider')).toHaveValue('heuristic');
  await expect(dialog.getByLabel('Ask before acting')).toHaveValue('dangerous');
  await dialog.getByTestId('deploy-submit').click();
  await expect(dialog).toHaveCount(0);
  await expect
    .poll(
      async () => (await client.call('process.list', {})).processes.find((p) => p.name === 'writer')?.phase,
      {
        timeout: 60_000,
      },
    )
    .toBe('completed');
  const writer = (await client.call('process.list', {})).processes.find((p) => p.name === 'writer')!;
  const file = await client.call('fs.read', { pid: writer.pid, path: 'notes/hello.md' });
  expect(file.content).toContain('hello from the planner');
  client.close();
});
