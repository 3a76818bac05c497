import type { ProviderStatus } from '../shared/protocol/index.js';
import { expect, test } from './fixtures.js';
import { openDesktop, screenshot, windowOf } from './helpers.js';

// What this machine has (a Gemini key in the environment, an Ollama server) is not up to the test: it asks the host
// through the CLI and checks that the UI says the same.
async function providersOf(host: { cli(args: string[]): Promise<{ code: number | null; stdout: string }> }) {
  const result = await host.cli(['--json', 'providers']);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as ProviderStatus[];
}

test('Settings › Providers says which model providers can drive an agent, as the host finds them', async ({
  page,
  host,
}) => {
  const providers = await providersOf(host);
  await openDesktop(page, host);
  await page.getByTestId('dock-settings').click();
  const settings = windowOf(page, 'settings');
  await settings.getByRole('tab', { name: 'Providers' }).click();
  const list = settings.getByRole('list', { name: 'Model providers' });
  await expect(list.getByRole('listitem').filter({ has: page.locator('strong') })).toHaveCount(3);
  for (const provider of providers) {
    const item = settings.getByTestId(`provider-${provider.name}`);
    await expect(item.locator('strong')).toHaveText(provider.label);
    await expect(item.locator('.badge')).toHaveText(provider.ready ? 'Ready' : 'Not ready');
    await expect(item).toContainText(provider.detail);
    for (const model of provider.models) await expect(item.getByText(model, { exact: true })).toBeVisible();
  }
  await expect(settings.getByTestId('provider-heuristic').locator('.badge')).toHaveText('Ready');
  // asked again from the keyboard
  await settings.getByRole('button', { name: 'Check again' }).focus();
  await page.keyboard.press('Enter');
  await expect(settings.getByRole('button', { name: 'Check again' })).toBeEnabled();
  await screenshot(page, 'settings-providers');
});

test('the deploy dialog warns before deploying on a provider that is not ready, and offers its models', async ({
  page,
  host,
}) => {
  const providers = await providersOf(host);
  await openDesktop(page, host);
  await page.getByTestId('dock-deploy').click();
  const dialog = page.getByRole('dialog', { name: 'Deploy an agent' });
  await dialog.getByLabel('Goal').fill('write notes.md');
  for (const name of ['gemini', 'ollama'] as const) {
    const status = providers.find((p) => p.name === name)!;
    await dialog.getByLabel('Model provider').selectOption(name);
    const warning = dialog.getByTestId('provider-warning');
    if (status.ready) await expect(warning).toHaveCount(0);
    else await expect(warning).toHaveText(`${status.label} is not ready. ${status.detail}`);
    const model = dialog.getByLabel('Model', { exact: true });
    await expect(model).toHaveAttribute('placeholder', status.defaultModel!);
    const listId = await model.getAttribute('list');
    const options = await dialog
      .locator(`datalist[id="${listId}"] option`)
      .evaluateAll((els) => els.map((el) => el.getAttribute('value')));
    expect(options).toEqual(status.models);
  }
  await screenshot(page, 'deploy-provider-not-ready');
});
