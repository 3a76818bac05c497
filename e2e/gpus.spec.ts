import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { startServe } from '../test/servedHost.js';
import { screenshot, windowOf } from './helpers.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'habitat.mjs');
// the stand-in nvidia-smi the kernel's GPU tests use: two H100s
const STUB_DIR = join(import.meta.dirname, '..', 'test', 'fixtures', 'nvidia-smi');

test('GPUs: counted in the top bar, given by the deploy dialog, refused beyond what is free, listed in Settings', async ({
  page,
}) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'habitat-e2e-'));
  const path = process.env.PATH;
  process.env.PATH = `${STUB_DIR}:${path}`; // only the host started now inherits it
  const served = await startServe([BIN], dataDir, 'inherit').finally(() => (process.env.PATH = path));
  try {
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(served.info.url);
    await expect(page.getByTestId('gpus')).toHaveText('2 GPUs');
    await expect(page.getByTestId('metric-gpus')).toContainText('0 / 2');

    await page.getByTestId('dock-deploy').click();
    const dialog = page.getByRole('dialog', { name: 'Deploy an agent' });
    await dialog.getByLabel('Name', { exact: true }).fill('trainer');
    await dialog.getByLabel('GPUs').fill('3');
    await dialog.getByTestId('deploy-submit').click();
    await expect(dialog.getByTestId('error-box')).toHaveAttribute('data-code', 'E_LIMIT');
    await expect(dialog.getByTestId('error-box')).toContainText(/2/);
    await dialog.getByLabel('GPUs').fill('1');
    await dialog.getByTestId('deploy-submit').click();
    await expect(dialog).toHaveCount(0);

    const card = page.getByTestId('agent-card').filter({ hasText: 'trainer' });
    await expect(card).toContainText('1 GPU');
    await expect(page.getByTestId('metric-gpus')).toContainText('1 / 2');

    await page.getByTestId('dock-settings').click();
    const settings = windowOf(page, 'settings');
    await settings.getByRole('tab', { name: 'GPUs' }).click();
    const table = settings.getByTestId('gpu-table');
    await expect(table.getByRole('row')).toHaveCount(3);
    await expect(table).toContainText('H100');
    await expect(table).toContainText('#1'); // held by the trainer
    await screenshot(page, 'gpus');
  } finally {
    const exited = new Promise((resolve) => served.child.once('exit', resolve));
    served.child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
});
