import { expect, test, type ServedHost } from './fixtures.js';
import { bridge, openDesktop, screenshot, spawnMany, windowOf, openAgent } from './helpers.js';

async function cat(host: ServedHost, pid: number, path: string): Promise<string> {
  const result = await host.cli(['fs', 'cat', String(pid), path]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

test('typing in the Agent VM terminal reaches the real shell, and the terminal takes the window size', async ({
  page,
  host,
}) => {
  const [agent] = await spawnMany(host, 1, () => ({ name: 'typist', role: 'type things' }));
  await openDesktop(page, host);
  const vm = await openAgent(page, 'typist');
  const terminal = vm.getByTestId('terminal-view');
  await expect(terminal.locator('.xterm-rows')).toContainText('agent@');
  const rows = terminal.locator('.xterm-rows');
  const prompts = async () => ((await rows.innerText()).match(/agent@\d+:~# /g) ?? []).length;
  /** Runs a line and waits for the next prompt (typing ahead of bash's prompt races its line editor). */
  const run = async (line: string, keys: string[] = ['Enter']) => {
    const before = await prompts();
    await page.keyboard.type(line);
    for (const key of keys) await page.keyboard.press(key);
    await expect.poll(prompts).toBeGreaterThan(before);
  };
  await terminal.click();
  await run('echo "sum=$((6*7))" && pwd');
  // the echo is the shell's, not ours: only a real shell computes 42
  await expect(rows).toContainText('sum=42');
  await expect(rows).toContainText('/home/agent');

  // Ctrl+C interrupts, and plain Ctrl+K stays with the shell (no Smart Bar)
  await run('sleep 30', ['Enter', 'Control+c']);
  await page.keyboard.press('Control+k');
  await expect(page.getByRole('dialog', { name: 'Smart Bar' })).toHaveCount(0);
  await run('echo back');
  await expect(rows).toContainText(/echo back\s*back/);

  // the kernel's terminal was resized to what fits the window (pty.resize), not left at 80x24
  const client = await bridge(host);
  try {
    const size = async () => (await client.call('pty.list', { pid: agent!.pid })).terminals[0]!;
    await expect.poll(async () => (await size()).cols).toBeGreaterThan(90);
    const before = await size();
    await vm.getByRole('button', { name: 'Maximise' }).click();
    await expect.poll(async () => (await size()).cols).toBeGreaterThan(before.cols);
    await expect.poll(async () => (await size()).rows).toBeGreaterThan(before.rows);
  } finally {
    client.close();
  }
  await screenshot(page, 'agent-vm-terminal');
});

test('a flood in the Agent VM terminal: it all arrives, in order, and Ctrl+C stops an endless one at once', async ({
  page,
  host,
}) => {
  await spawnMany(host, 1, () => ({ name: 'flooder' }));
  await openDesktop(page, host);
  const vm = await openAgent(page, 'flooder');
  const terminal = vm.getByTestId('terminal-view');
  const rows = terminal.locator('.xterm-rows');
  await expect(rows).toContainText('agent@');
  await terminal.click();

  // 8 MiB in full-width lines: batches of up to 1 MiB, each written to xterm and acknowledged once it is parsed
  await page.keyboard.type("head -c 8388608 /dev/zero | tr '\\0' a | fold -w 64; echo flood-$((40+2))");
  await page.keyboard.press('Enter');
  // the flood's last full line, then what came after it
  await expect(rows).toContainText(/a{64}\s*flood-42/, { timeout: 60_000 });

  // what is in flight when Ctrl+C comes is at most the flow-control window: the prompt is back within seconds
  await page.keyboard.type('yes endless');
  await page.keyboard.press('Enter');
  await expect(rows).toContainText('endless');
  await page.waitForTimeout(1000);
  const interrupted = Date.now();
  await page.keyboard.press('Control+c');
  await page.keyboard.type('echo calm-$((1+1))');
  await page.keyboard.press('Enter');
  await expect(rows).toContainText('calm-2', { timeout: 10_000 });
  console.log(`  prompt back ${Date.now() - interrupted} ms after Ctrl+C`);
});

test('the Files tab edits and saves a file the CLI then reads, uploads by drop, downloads, and follows the agent', async ({
  page,
  host,
}) => {
  const [agent] = await spawnMany(host, 1, () => ({ name: 'archivist' }));
  const pid = agent!.pid;
  await openDesktop(page, host);
  const vm = await openAgent(page, 'archivist');
  await vm.getByRole('tab', { name: 'Files' }).click();
  const files = vm.getByTestId('file-browser');
  await expect(files.getByTestId('file-row').filter({ hasText: 'Documents' })).toBeVisible();

  // a new file, typed in CodeMirror and saved with Ctrl+S
  await files.getByRole('button', { name: 'New file' }).click();
  await files.getByLabel('New file name').fill('notes.md');
  await files.getByRole('button', { name: 'Create' }).click();
  const editor = files.locator('.cm-content');
  await expect(editor).toBeVisible();
  await editor.click();
  await page.keyboard.type('# Notes\nwritten in the editor');
  await page.keyboard.press('Control+s');
  await expect(files.getByTestId('file-status')).toContainText('Saved');
  expect(await cat(host, pid, 'notes.md')).toBe('# Notes\nwritten in the editor');
  await screenshot(page, 'agent-vm-files');

  // what the agent writes shows up by itself (the folder is watched), and opens with its content
  const client = await bridge(host);
  try {
    await client.call('process.exec', { pid, argv: ['sh', '-c', 'echo "from the shell" > report.txt'] });
  } finally {
    client.close();
  }
  const report = files.getByTestId('file-row').filter({ hasText: 'report.txt' });
  await expect(report).toBeVisible();
  await report.getByRole('button', { name: 'report.txt', exact: true }).click();
  await expect(editor).toContainText('from the shell');
  // edit it: replace the line, save with the button
  await editor.click();
  await page.keyboard.press('Control+a');
  await page.keyboard.type('edited in Habitat');
  await files.getByTestId('file-save').click();
  await expect.poll(() => cat(host, pid, 'report.txt')).toBe('edited in Habitat');

  // upload: drop a file on the browser
  await files.evaluate((el) => {
    // (this file is type-checked without the DOM's types: name the few it needs)
    const dom = globalThis as unknown as {
      DataTransfer: new () => { items: { add(file: unknown): void } };
      DragEvent: new (type: string, init: object) => unknown;
    };
    const data = new dom.DataTransfer();
    data.items.add(new File(['dropped bytes \u00e9'], 'dropped.txt', { type: 'text/plain' }));
    for (const type of ['dragover', 'drop']) {
      el.dispatchEvent(
        new dom.DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }) as Event,
      );
    }
  });
  await expect(files.getByTestId('file-row').filter({ hasText: 'dropped.txt' })).toBeVisible();
  expect(await cat(host, pid, 'dropped.txt')).toBe('dropped bytes \u00e9');

  // download
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    files.getByRole('button', { name: 'Download notes.md' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('notes.md');
  const stream = await download.createReadStream();
  let text = '';
  for await (const chunk of stream) text += chunk;
  expect(text).toBe('# Notes\nwritten in the editor');

  // folders: into Documents and back with the breadcrumb
  await files.getByRole('button', { name: 'Documents', exact: true }).click();
  await expect(files.getByRole('navigation', { name: 'Folder' })).toContainText('Documents');
  await files.getByRole('button', { name: 'Home', exact: true }).click();
  await expect(files.getByTestId('file-row').filter({ hasText: 'notes.md' })).toBeVisible();
});

test('controls send signals, and the logs show them live, colour-coded and filterable', async ({
  page,
  host,
}) => {
  const [agent] = await spawnMany(host, 1, () => ({ name: 'signalled' }));
  await openDesktop(page, host);
  const vm = await openAgent(page, 'signalled');
  await vm.getByRole('tab', { name: 'Logs' }).click();
  const logs = vm.getByTestId('logs-view');
  await expect(logs.locator('[data-type="process.started"]')).toBeVisible();

  await vm.getByRole('tab', { name: 'Controls' }).click();
  await vm.getByTestId('signal-STOP').click();
  await expect(vm.getByTestId('agent-status')).toHaveText('Paused');
  await expect(vm.getByTestId('signal-STOP')).toBeDisabled();
  await vm.getByTestId('signal-CONT').click();
  await expect(vm.getByTestId('agent-status')).toHaveText('Idle');
  await vm.getByLabel('Command to run in the sandbox').fill('echo exec-$((2+3))');
  await vm.getByRole('button', { name: 'Run' }).click();
  await expect(vm.getByRole('status').filter({ hasText: 'exec-5' })).toBeVisible();

  await vm.getByRole('tab', { name: 'Logs' }).click();
  const signals = logs.locator('[data-type="process.signal"]');
  await expect(signals).toHaveCount(2); // arrived live, while the tab was hidden
  await expect(signals.nth(0)).toContainText('signal STOP');
  await expect(logs.locator('[data-type="process.exec"]')).toContainText('echo exec-$((2+3))');
  await screenshot(page, 'agent-vm-logs');

  // filter: hide signals, then search
  await logs.getByRole('button', { name: /Signals/ }).click();
  await expect(signals).toHaveCount(0);
  await logs.getByRole('button', { name: /Signals/ }).click();
  await logs.getByLabel('Search the log').fill('CONT');
  await expect(logs.getByTestId('log-entry')).toHaveCount(1);

  // the desktop tab says what it is waiting for
  await vm.getByRole('tab', { name: 'Desktop' }).click();
  await expect(vm.getByTestId('desktop-pane')).toContainText('No graphical desktop');
  expect(agent!.pid).toBeGreaterThan(0);
});

test('the apps: a terminal on a new shell agent, Files on it, and the System Monitor', async ({
  page,
  host,
}) => {
  await openDesktop(page, host);
  await page.getByTestId('dock-terminal').click();
  const term = windowOf(page, 'terminal');
  await term.getByRole('button', { name: 'New shell agent' }).click();
  const rows = term.locator('.xterm-rows');
  await expect(rows).toContainText('agent@');
  await term.getByTestId('terminal-view').click();
  await page.keyboard.type('echo shell-$((1+1)) > made-here.txt; cat made-here.txt');
  await page.keyboard.press('Enter');
  await expect(rows).toContainText('shell-2');
  const ps = JSON.parse((await host.cli(['--json', 'ps'])).stdout) as { pid: number; role: string }[];
  const shell = ps.find((p) => p.role === 'shell')!;

  await page.getByTestId('dock-files').click();
  const files = windowOf(page, 'files');
  await files.getByLabel('Agent').selectOption(String(shell.pid));
  await expect(files.getByTestId('file-row').filter({ hasText: 'made-here.txt' })).toBeVisible();

  await page.getByTestId('dock-monitor').click();
  const monitor = windowOf(page, 'monitor');
  const row = monitor.locator(`[data-testid="process-table"] tr[data-pid="${shell.pid}"]`);
  await expect(row).toContainText('running');
  await expect(row).toContainText('waiting');
  await screenshot(page, 'apps');
});
