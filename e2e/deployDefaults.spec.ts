import { expect, test } from './fixtures.js';
import { openDesktop, screenshot, windowOf } from './helpers.js';

test('defaults for new agents are set in Settings, checked like a deploy, and every deploy form starts from them', async ({
  page,
  host,
}) => {
  await openDesktop(page, host);
  await page.getByTestId('dock-settings').click();
  const settings = windowOf(page, 'settings');
  await settings.getByRole('tab', { name: 'New agents' }).click();
  const form = settings.getByRole('form', { name: 'Defaults for new agents' });
  await form.getByText('Container (Docker)').click();
  await form.getByLabel('Network access').check();
  await form.getByLabel('Memory (MiB)').fill('8');
  await form.getByLabel('Ask before acting').selectOption('always');
  await form.getByRole('button', { name: 'Save defaults' }).click();
  // refused as a deploy would refuse it, next to the field
  await expect(form.getByText('at least 16 MiB')).toBeVisible();
  await expect(form.getByLabel('Memory (MiB)')).toHaveAttribute('aria-invalid', 'true');
  await form.getByLabel('Memory (MiB)').fill('512');
  await form.getByRole('button', { name: 'Save defaults' }).click();
  await expect(page.getByText('Defaults saved')).toBeVisible();
  await screenshot(page, 'settings-new-agents');

  const deployForm = async () => {
    await page.getByTestId('dock-deploy').click();
    const dialog = page.getByRole('dialog', { name: 'Deploy an agent' });
    await expect(dialog).toBeVisible();
    return dialog;
  };
  let dialog = await deployForm();
  await expect(dialog.getByRole('radio', { name: 'Container (Docker)' })).toBeChecked();
  await expect(dialog.getByLabel('Network access')).toBeChecked();
  await expect(dialog.getByLabel('Memory (MiB)')).toHaveValue('512');
  await dialog.getByLabel('Goal').fill('write notes.md');
  await expect(dialog.getByLabel('Ask before acting')).toHaveValue('always');
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  // kept across a reload
  await page.reload();
  await expect(page.getByTestId('connection')).toHaveText('Connected');
  dialog = await deployForm();
  await expect(dialog.getByRole('radio', { name: 'Container (Docker)' })).toBeChecked();
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  await settings.getByRole('tab', { name: 'New agents' }).click();
  await form.getByRole('button', { name: 'Restore built-in defaults' }).click();
  await expect(form.getByRole('radio', { name: 'Host (bubblewrap)' })).toBeChecked();
  dialog = await deployForm();
  await expect(dialog.getByRole('radio', { name: 'Host (bubblewrap)' })).toBeChecked();
  await expect(dialog.getByLabel('Network access')).not.toBeChecked();
});
