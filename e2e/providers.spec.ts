import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ollamaError,
  ollamaPullStream,
  ScriptedServer,
  type ScriptedHttpReply,
} from '../runtime/llm/testing/index.js';
import { startServe } from '../test/servedHost.js';
import { expect, test, type ServedHost } from './fixtures.js';
import { openDesktop, screenshot, windowOf } from './helpers.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'habitat.mjs');
const MODELS = ['llama3.2:latest', 'qwen2.5vl:7b'];
const tags = (models = MODELS): ScriptedHttpReply => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ models: models.map((name) => ({ name, model: name, size: 1 })) }),
});

// The host's providers are set up by the test, not found on the machine: Ollama is the local stand-in server that
// speaks its wire format, and Gemini has no key.
let ollama: ScriptedServer;
let child: ChildProcess;
let host: ServedHost;
let dataDir: string;

test.beforeAll(async () => {
  ollama = await ScriptedServer.start();
  dataDir = mkdtempSync(join(tmpdir(), 'habitat-e2e-providers-'));
  const env: NodeJS.ProcessEnv = { ...process.env, OLLAMA_HOST: ollama.url };
  delete env.GEMINI_API_KEY;
  delete env.GOOGLE_API_KEY;
  const served = await startServe([BIN], dataDir, 'inherit', env);
  child = served.child;
  host = { ...served.info, cli: () => Promise.reject(new Error('no CLI in this test')) };
});

test.afterAll(async () => {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  await ollama.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('Settings › Providers says which model providers can drive an agent, and checks again on request', async ({
  page,
}) => {
  ollama.clear();
  for (let i = 0; i < 4; i++) ollama.on('/api/tags', tags());
  await openDesktop(page, host);
  await page.getByTestId('dock-settings').click();
  const settings = windowOf(page, 'settings');
  await settings.getByRole('tab', { name: 'Providers' }).click();

  const offline = settings.getByTestId('provider-heuristic');
  await expect(offline.locator('.badge')).toHaveText('Ready');
  const gemini = settings.getByTestId('provider-gemini');
  await expect(gemini.locator('.badge')).toHaveText('Not ready');
  await expect(gemini).toContainText('No API key');
  await expect(gemini).toContainText('default model gemini-2.5-flash');
  const local = settings.getByTestId('provider-ollama');
  await expect(local.locator('.badge')).toHaveText('Ready');
  await expect(local).toContainText(`Running at ${ollama.url}, 2 models installed.`);
  await expect(local.getByRole('list', { name: 'Ollama models' }).getByRole('listitem')).toHaveText(MODELS);

  // from the keyboard: it asks the host again, and the focus stays on the button
  const asked = ollama.requestsTo(/\/api\/tags/).length;
  const again = settings.getByRole('button', { name: 'Check again' });
  await again.focus();
  await page.keyboard.press('Enter');
  await expect.poll(() => ollama.requestsTo(/\/api\/tags/).length).toBe(asked + 1);
  await expect(again).toBeFocused();
  await screenshot(page, 'settings-providers');
});

test('the deploy dialog warns about a provider that is not ready, offers a running one its models, and asks again', async ({
  page,
}) => {
  ollama.clear();
  for (let i = 0; i < 4; i++) ollama.on('/api/tags', tags());
  await openDesktop(page, host);
  await page.getByTestId('dock-deploy').click();
  const dialog = page.getByRole('dialog', { name: 'Deploy an agent' });
  await dialog.getByLabel('Goal').fill('write notes.md');
  const provider = dialog.getByLabel('Model provider');
  const model = dialog.getByLabel('Model', { exact: true });
  const warning = dialog.getByTestId('provider-warning');

  await provider.selectOption('gemini');
  await expect(warning).toContainText('Gemini is not ready. No API key');
  await expect(provider).toHaveAttribute('aria-describedby', (await warning.getAttribute('id'))!);
  await expect(model).toHaveAttribute('placeholder', 'gemini-2.5-flash');
  await model.fill('gemini-2.5-pro');
  await screenshot(page, 'deploy-provider-not-ready');

  await provider.selectOption('ollama');
  await expect(model).toHaveValue(''); // a model belongs to its provider
  await expect(model).toHaveAttribute('placeholder', 'llama3.2');
  await expect(warning).toBeEmpty();
  const options = dialog.locator(`datalist[id="${await model.getAttribute('list')}"] option`);
  await expect(options).toHaveCount(2);
  expect(await options.evaluateAll((els) => els.map((el) => el.getAttribute('value')))).toEqual(MODELS);

  // the server goes away: choosing the provider again asks again
  ollama
    .clear()
    .on('/api/tags', { cut: 'before-headers' }, { cut: 'before-headers' }, { cut: 'before-headers' });
  await provider.selectOption('gemini');
  await provider.selectOption('ollama');
  await expect(warning).toContainText(`Ollama is not ready. No Ollama server answers at ${ollama.url}`);
});

test('Settings › Providers pulls the default model ahead of the agents, with progress, and says when it fails', async ({
  page,
}) => {
  ollama.clear().on('/api/tags', tags(['qwen2.5vl:7b']), tags(), tags());
  ollama.on('/api/pull', ollamaError(500, 'pull model manifest: connection reset'), {
    ...ollamaPullStream(1000, 4),
    chunkDelayMs: 250,
  });
  await openDesktop(page, host);
  await page.getByTestId('dock-settings').click();
  const settings = windowOf(page, 'settings');
  await settings.getByRole('tab', { name: 'Providers' }).click();
  const local = settings.getByTestId('provider-ollama');
  await expect(local).toContainText('the default model llama3.2 is pulled when an agent first needs it');
  const pull = local.getByRole('button', { name: 'Pull llama3.2 now' });

  await pull.click();
  await expect(local.getByText('llama3.2 was not pulled')).toBeVisible();
  await expect(local).toContainText('pull model manifest: connection reset');

  await pull.click();
  const bar = local.getByRole('progressbar', { name: 'Pulling llama3.2' });
  await expect(bar).toHaveAttribute('aria-valuenow', /^(25|50|75)$/);
  await expect(page.getByText('Pulled llama3.2')).toBeVisible({ timeout: 15_000 });
  // checked again: the model is there, so there is nothing left to pull
  await expect(local).toContainText(`Running at ${ollama.url}, 2 models installed.`);
  await expect(local.getByRole('button', { name: /Pull/ })).toHaveCount(0);
  const pulls = ollama.requestsTo(/\/api\/pull/);
  expect(pulls).toHaveLength(2);
  expect(pulls[1]!.body).toMatchObject({ name: 'llama3.2', stream: true });
});

test('Settings › Providers sets the Ollama server from the keyboard, says beside the field what is wrong, and goes back to OLLAMA_HOST', async ({
  page,
}) => {
  const chosen = await ScriptedServer.start();
  try {
    ollama.clear();
    for (let i = 0; i < 4; i++) ollama.on('/api/tags', tags());
    for (let i = 0; i < 4; i++) chosen.on('/api/tags', tags(['qwen2.5:7b']));
    await openDesktop(page, host);
    await page.getByTestId('dock-settings').click();
    const settings = windowOf(page, 'settings');
    await settings.getByRole('tab', { name: 'Providers' }).click();
    const local = settings.getByTestId('provider-ollama');
    await expect(local).toContainText(`Running at ${ollama.url}`);
    await expect(local).toContainText('From OLLAMA_HOST on the host');
    const address = local.getByLabel('Server address');
    await expect(address).toHaveAttribute('placeholder', ollama.url);

    await address.focus();
    await page.keyboard.type('ftp://gpu-box:11434');
    await page.keyboard.press('Enter');
    const hint = local.locator(`[id="${await address.getAttribute('aria-describedby')}"]`);
    await expect(hint).toHaveText(
      'The address must be an http:// or https:// URL, such as http://127.0.0.1:11434.',
    );
    await expect(address).toHaveAttribute('aria-invalid', 'true');
    await expect(hint).toHaveAttribute('role', 'alert');
    await expect(address).toBeFocused();

    await address.fill(chosen.url);
    await page.keyboard.press('Enter');
    await expect(local).toContainText(`Running at ${chosen.url}, 1 model installed`);
    await expect(hint).toHaveText('Saved here: the host keeps it in its data folder.');
    await expect(address).not.toHaveAttribute('aria-invalid');
    await expect(page.getByText('Ollama server saved')).toBeVisible();
    await screenshot(page, 'settings-providers-server');

    // Tab from the field reaches Save, then Use the default
    await address.focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await expect(local.getByRole('button', { name: 'Use the default' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(local).toContainText(`Running at ${ollama.url}, 2 models installed`);
    await expect(local).toContainText('From OLLAMA_HOST on the host');
    await expect(address).toHaveValue('');
    await expect(local.getByRole('button', { name: 'Use the default' })).toHaveCount(0);
    await expect(address).toBeFocused(); // not lost with the button pressed
  } finally {
    await chosen.close();
  }
});
