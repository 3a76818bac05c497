import { expect, test } from './fixtures.js';
import { bridge, openDesktop } from './helpers.js';

// What a person typed into the Deploy dialog survives Escape, a stray click on the backdrop and Cancel; it goes
// when the agent is deployed or the draft is discarded.
test('the deploy form is kept as a draft until it is deployed or discarded', async ({ page, host }) => {
  await openDesktop(page, host);
  const dialog = page.getByRole('dialog', { name: 'Deploy an agent' });
  const name = dialog.getByLabel('Name', { exact: true });
  const goal = dialog.getByLabel('Goal');
  const longGoal =
    'survey the logs in ~/data, summarise the failures by cause, and write the report to notes/report.md';

  await page.keyboard.press('Control+Alt+n');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('deploy-draft-note')).toHaveCount(0);
  await expect(dialog.getByTestId('deploy-discard')).toHaveCount(0);
  await name.fill('researcher');
  await goal.fill(longGoal);
  await dialog.getByLabel('Ask before acting').selectOption('always');
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);

  // back as it was, said so
  await page.getByTestId('dock-deploy').click();
  await expect(name).toHaveValue('researcher');
  await expect(goal).toHaveValue(longGoal);
  await expect(dialog.getByLabel('Ask before acting')).toHaveValue('always');
  await expect(dialog.getByTestId('deploy-draft-note')).toContainText('Restored what you typed before');

  // a stray click beside the dialog
  await page.mouse.click(5, 450);
  await expect(dialog).toHaveCount(0);
  await page.keyboard.press('Control+Alt+n');
  await expect(goal).toHaveValue(longGoal);

  // the Smart Bar's "deploy …" brings its own goal; the draft's can be put back
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+k');
  const bar = page.getByRole('dialog', { name: 'Smart Bar' });
  await expect(bar).toBeVisible();
  await page.keyboard.type('write a haiku');
  await bar.getByRole('option', { name: 'Deploy an agent to: write a haiku' }).click();
  await expect(goal).toHaveValue('write a haiku');
  await expect(name).toHaveValue('researcher');
  await dialog.getByRole('button', { name: 'Put the earlier goal back' }).click();
  await expect(goal).toHaveValue(longGoal);

  // Discard throws it away
  await dialog.getByTestId('deploy-discard').click();
  await expect(dialog).toHaveCount(0);
  await page.getByTestId('dock-deploy').click();
  await expect(name).toHaveValue('');
  await expect(goal).toHaveValue('');
  await expect(dialog.getByTestId('deploy-draft-note')).toHaveCount(0);

  // deploying uses it up
  await name.fill('shell-1');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await page.getByTestId('dock-deploy').click();
  await expect(name).toHaveValue('shell-1');
  await dialog.getByTestId('deploy-submit').click();
  await expect(dialog).toHaveCount(0);
  const client = await bridge(host);
  await expect
    .poll(async () => (await client.call('process.list', {})).processes.some((p) => p.name === 'shell-1'))
    .toBe(true);
  client.close();
  await page.getByTestId('dock-deploy').click();
  await expect(name).toHaveValue('');
  await expect(dialog.getByTestId('deploy-discard')).toHaveCount(0);
});
