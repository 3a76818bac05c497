import type { Page } from '@playwright/test';
import { ensureSandboxImage } from '../kernel/index.js';
import { dockerForTests } from '../test/docker.js';
import { expect, test, type ServedHost } from './fixtures.js';
import { openDesktop, screenshot, windowOf, openAgent } from './helpers.js';

// The main flows of an agent through the UI a person uses, once with the host sandbox and once in a container:
// deployed from the dialog with a goal for the offline planner, its card and live preview, its files, an approval,
// its completion and its timeline in the archive; then pause, resume and kill from a card, and typing in its terminal.
const docker = await dockerForTests('agent flows in a container, in the browser');

type Sandbox = 'host' | 'docker';

interface PsRow {
  pid: number;
  name: string;
  state: string;
  phase: string;
  sandbox: { kind: string; containerId?: string | null };
}

async function ps(host: ServedHost): Promise<PsRow[]> {
  const result = await host.cli(['--json', 'ps', '--all']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as PsRow[];
}

async function psRow(host: ServedHost, name: string): Promise<PsRow | undefined> {
  return (await ps(host)).find((p) => p.name === name);
}

async function deploy(page: Page, fields: { name: string; goal?: string; role?: string; sandbox: Sandbox }) {
  await page.getByTestId('dock-deploy').click();
  const dialog = page.getByRole('dialog', { name: 'Deploy an agent' });
  await dialog.getByLabel('Name', { exact: true }).fill(fields.name);
  if (fields.goal) await dialog.getByLabel('Goal').fill(fields.goal);
  if (fields.role) await dialog.getByLabel('Role').fill(fields.role);
  // the default image of a container sandbox is the one CI builds
  if (fields.sandbox === 'docker') await dialog.getByText('Container (Docker)').click();
  await dialog.getByTestId('deploy-submit').click();
  await expect(dialog).toHaveCount(0, { timeout: 60_000 });
}

for (const sandbox of ['host', 'docker'] as const) {
  test.describe(`a ${sandbox} agent through the UI`, () => {
    test.skip(sandbox === 'docker' && !docker, 'no Docker daemon');
    test.beforeAll(async () => {
      if (sandbox !== 'docker') return;
      test.setTimeout(20 * 60_000);
      await ensureSandboxImage(docker!); // CI builds it first (.ci/run)
    });

    test('deployed with a goal: its card and preview, its file, an approval, then the archive and its timeline', async ({
      page,
      host,
    }) => {
      test.setTimeout(180_000);
      const name = `writer-${sandbox}`;
      await openDesktop(page, host);
      // the last step deletes recursively: the agent waits for a person there, with its work so far on screen
      await deploy(page, {
        name,
        sandbox,
        goal: `Create notes/hello.md with 'hello from the ${sandbox}'. Then run \`for i in 1 2 3 4 5; do echo preview-$((40+i)); sleep 1; done\`, then run \`rm -rf notes/old\``,
      });
      const row = await psRow(host, name);
      expect(row?.sandbox.kind).toBe(sandbox);
      const card = page.locator(`[data-testid="agent-card"][data-pid="${row!.pid}"]`);
      await expect(card).toBeVisible();
      // the preview is the kernel's screen of the terminal the agent uses now: the planner's command, as it prints
      const preview = card.getByTestId('terminal-preview');
      await expect(preview).toContainText('preview-41', { timeout: 90_000 });
      await expect(preview).toContainText('preview-45');
      await expect.poll(async () => (await psRow(host, name))?.phase, { timeout: 60_000 }).toBe('waiting');
      // waiting for a person, not idle: the card says so
      await expect(card.getByTestId('agent-status')).toHaveText('Needs you');
      await screenshot(page, `flow-${sandbox}-card`);

      const vm = await openAgent(page, name);
      await vm.getByRole('tab', { name: 'Files' }).click();
      const files = vm.getByTestId('file-browser');
      await files.getByRole('button', { name: 'notes', exact: true }).click();
      const hello = files.getByTestId('file-row').filter({ hasText: 'hello.md' });
      await expect(hello).toBeVisible();
      await hello.getByRole('button', { name: 'hello.md', exact: true }).click();
      await expect(files.locator('.cm-content')).toContainText(`hello from the ${sandbox}`);

      const prompt = vm.getByTestId('approval');
      await expect(prompt).toContainText('rm -rf notes/old');
      await prompt.getByRole('button', { name: 'Approve' }).click();
      await expect.poll(async () => (await psRow(host, name))?.phase, { timeout: 90_000 }).toBe('completed');
      await expect(card).toHaveCount(0);

      await vm.locator('.window-controls').getByRole('button', { name: 'Close' }).click();
      await page.getByTestId('mc-archive').click();
      const archived = page.locator(`[data-testid="agent-card"][data-pid="${row!.pid}"]`);
      await expect(archived.getByTestId('agent-status')).toHaveText('Completed');
      await archived.getByRole('button', { name: 'Timeline' }).click();
      const timeline = windowOf(page, 'agentVm');
      const calls = timeline.locator('[data-testid="log-entry"][data-type*="tool.call"]');
      await expect(calls.filter({ hasText: 'write_file' })).not.toHaveCount(0);
      await expect(calls.filter({ hasText: 'run_command' })).not.toHaveCount(0);
      await expect(timeline.locator('[data-testid="log-entry"][data-type*="approval"]')).not.toHaveCount(0);
      await expect(timeline.locator('[data-testid="log-entry"][data-type="process.exited"]')).toContainText(
        'completed',
      );
      await screenshot(page, `flow-${sandbox}-timeline`);
    });

    test('pause, resume and kill from its card; typing in its terminal reaches its shell', async ({
      page,
      host,
    }) => {
      test.setTimeout(180_000);
      const name = `shell-${sandbox}`;
      await openDesktop(page, host);
      await deploy(page, { name, role: 'a shell to type in', sandbox });
      const row = await psRow(host, name);
      expect(row?.sandbox.kind).toBe(sandbox);
      const card = page.locator(`[data-testid="agent-card"][data-pid="${row!.pid}"]`);
      await expect(card).toHaveAttribute('data-state', 'running');

      const vm = await openAgent(page, name);
      const rows = vm.getByTestId('terminal-view').locator('.xterm-rows');
      await expect(rows).toContainText('agent@');
      await vm.getByTestId('terminal-view').click();
      await page.keyboard.type('echo "typed-$((6*7))"');
      await page.keyboard.press('Enter');
      // only a real shell computes 42
      await expect(rows).toContainText('typed-42');
      await vm.getByRole('button', { name: 'Minimise' }).click();

      await card.getByRole('button', { name: `Pause ${name}` }).click();
      await expect(card).toHaveAttribute('data-state', 'stopped');
      await expect.poll(async () => (await psRow(host, name))?.state).toBe('stopped');
      await card.getByRole('button', { name: `Resume ${name}` }).click();
      await expect(card).toHaveAttribute('data-state', 'running');
      await expect.poll(async () => (await psRow(host, name))?.state).toBe('running');
      await card.getByRole('button', { name: `Kill ${name}` }).click();
      await expect(card).toHaveCount(0);
      await expect.poll(async () => (await psRow(host, name))?.state).toBe('zombie');
    });
  });
}
