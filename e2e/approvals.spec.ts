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
import { bridge, openDesktop, screenshot, openAgent } from './helpers.js';

const BIN = join(import.meta.dirname, '..', 'bin', 'habitat.mjs');

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

// A request is more than its command: `bash` with a script on its standard input must show the script, whole, before
// anyone approves it. Gemini is the local stand-in server, given to the host through its environment.
test('the approval prompt shows every argument of a request, a long script in full', async ({ page }) => {
  const gemini = await ScriptedServer.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'habitat-e2e-approval-args-'));
  const env = { ...process.env, GEMINI_API_KEY: 'test-key', GEMINI_BASE_URL: gemini.url };
  const { child, info } = await startServe([BIN], dataDir, 'inherit', env);
  // long enough to scroll: the dangerous line is the last one
  const input =
    Array.from({ length: 40 }, (_, i) => `echo step ${i + 1}`).join('\n') + '\nrm -rf ~/notes.md ~/Documents';
  try {
    gemini.on(
      GEMINI_STREAM_PATH,
      geminiStream([geminiCall('run_command', { command: 'bash', input }), geminiDone()]),
      geminiStream([geminiCall('complete', { summary: 'the person said no' }), geminiDone()]),
    );
    const host: ServedHost = { ...info, cli: () => Promise.reject(new Error('no CLI in this test')) };
    const client = await bridge(host);
    await openDesktop(page, host);
    const { pid } = await client.call('process.spawn', {
      name: 'tidy',
      goal: 'tidy up the home folder',
      provider: 'gemini',
      approvalPolicy: 'always',
    });
    await client.call('fs.write', { pid, path: 'notes.md', content: 'keep me' });
    const vm = await openAgent(page, 'tidy');
    const prompt = vm.getByTestId('approval');
    await expect(prompt.getByTestId('approval-tool')).toHaveText('run_command', { timeout: 60_000 });
    await expect(prompt.locator('[data-arg="command"] dd')).toHaveText('bash');
    const script = prompt.locator('[data-arg="input"] pre');
    await expect(prompt.locator('[data-arg="input"] dt')).toContainText(
      `input (${input.length} bytes, 41 lines)`,
    );
    // whole, as written (its lines kept), in a block that scrolls rather than clips
    expect(await script.evaluate((el) => el.textContent)).toBe(input);
    await expect(script).toHaveCSS('font-family', /mono/i);
    expect(await script.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
    await script.focus();
    await page.keyboard.press('End');
    await expect(script.getByText('rm -rf ~/notes.md ~/Documents')).toBeInViewport();
    await screenshot(page, 'approval-arguments');
    await prompt.getByRole('button', { name: 'Deny' }).click();
    await expect(prompt).toHaveCount(0);
    expect((await client.call('fs.read', { pid, path: 'notes.md' })).content).toBe('keep me');
    client.close();
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
    await gemini.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
