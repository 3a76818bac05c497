import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GEMINI_STREAM_PATH,
  geminiCall,
  geminiDone,
  geminiStream,
  ScriptedServer,
} from '../runtime/llm/testing/index.js';
import { startServe } from '../test/servedHost.js';
import { expect, test, type ServedHost } from './fixtures.js';
import { bridge, openDesktop, screenshot } from './helpers.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'habitat.mjs');

// An agent asks a person a question (ask_human); the person answers it in the Agent VM and the agent goes on.
// Gemini is the local stand-in server speaking its wire format, given to the host through its environment.
test('a person answers an agent question in the Agent VM', async ({ page }) => {
  const gemini = await ScriptedServer.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'habitat-e2e-questions-'));
  const env = { ...process.env, GEMINI_API_KEY: 'test-key', GEMINI_BASE_URL: gemini.url };
  const { child, info } = await startServe([BIN], dataDir, 'inherit', env);
  try {
    gemini.on(
      GEMINI_STREAM_PATH,
      geminiStream([geminiCall('ask_human', { question: 'Which colour should the logo be?' }), geminiDone()]),
      geminiStream([geminiCall('write_file', { path: 'logo.txt', content: 'teal\n' }), geminiDone()]),
      geminiStream([geminiCall('complete', { summary: 'asked, then wrote logo.txt' }), geminiDone()]),
    );
    const host: ServedHost = { ...info, cli: () => Promise.reject(new Error('no CLI in this test')) };
    const client = await bridge(host);
    await openDesktop(page, host);
    const { pid } = await client.call('process.spawn', {
      name: 'designer',
      goal: 'pick the logo colour',
      provider: 'gemini',
    });
    await page.keyboard.press('Control+k');
    const bar = page.getByRole('dialog', { name: 'Smart Bar' });
    await page.keyboard.type('designer');
    await expect(bar.getByRole('option', { selected: true })).toContainText('designer');
    await page.keyboard.press('Enter');
    const prompt = page.getByTestId('agent-vm').getByTestId('approval');
    await expect(prompt).toContainText('Which colour should the logo be?', { timeout: 60_000 });
    await expect(page.getByText(`Agent ${pid} asks you a question`).first()).toBeVisible();
    const answer = prompt.getByRole('textbox', { name: 'The agent asks:' });
    await expect(prompt.getByRole('button', { name: 'Answer' })).toBeDisabled();
    await answer.fill('teal, please');
    await screenshot(page, 'question-prompt');
    await prompt.getByRole('button', { name: 'Answer' }).click();
    await expect(prompt).toHaveCount(0);
    await expect
      .poll(async () => (await client.call('process.get', { pid })).phase, { timeout: 60_000 })
      .toBe('completed');
    expect((await client.call('fs.read', { pid, path: 'logo.txt' })).content).toBe('teal\n');
    expect(JSON.stringify(gemini.requests[1]!.body)).toContain('the person answered: teal, please');
    client.close();
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    await gemini.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
