import type { Page } from '@playwright/test';
import { expect, test, type ServedHost } from './fixtures.js';
import { bridge, openAgent, openDesktop, screenshot, spawnMany } from './helpers.js';

// The Files app against a served host: what it must never lose (an agent's work, a person's edits, bytes it cannot
// show) and what it must keep doing (following the agent after the connection comes back).

/** Runs a shell command in the agent's sandbox, as the agent would. */
async function sh(host: ServedHost, pid: number, script: string): Promise<void> {
  const client = await bridge(host);
  try {
    const result = await client.call('process.exec', { pid, argv: ['sh', '-c', script] });
    expect(result.exitCode, result.stderr).toBe(0);
  } finally {
    client.close();
  }
}

/** The file's bytes, as hex, read through the host (not through the page). */
async function hexOf(host: ServedHost, pid: number, path: string): Promise<string> {
  const client = await bridge(host);
  try {
    const { content } = await client.call('fs.read', { pid, path, encoding: 'base64' });
    return Buffer.from(content, 'base64').toString('hex');
  } finally {
    client.close();
  }
}

async function textOf(host: ServedHost, pid: number, path: string): Promise<string> {
  return Buffer.from(await hexOf(host, pid, path), 'hex').toString('utf8');
}

/** A new agent, its Agent VM open on the Files tab. */
async function openFiles(page: Page, host: ServedHost, name: string) {
  const [agent] = await spawnMany(host, 1, () => ({ name, role: 'keep files' }));
  await openDesktop(page, host);
  const vm = await openAgent(page, name);
  await vm.getByRole('tab', { name: 'Files' }).click();
  const files = vm.getByTestId('file-browser');
  await expect(files.getByTestId('file-row').first()).toBeVisible();
  const row = (file: string) => files.locator(`[data-testid="file-row"][data-name="${file}"]`);
  /** Opens a file of the listing (it must be listed: the folder is watched). */
  const open = async (file: string) => {
    await row(file).getByRole('button', { name: file, exact: true }).click();
    await expect(files.locator('.files-preview strong')).toHaveText(file);
  };
  return { pid: agent!.pid, vm, files, row, open, editor: files.locator('.cm-content') };
}

test('after the connection drops and comes back, the Files view still follows what the agent writes', async ({
  page,
  host,
}) => {
  // keep the page's sockets, to drop them as a network blip would (the host stays up)
  await page.addInitScript(() => {
    const g = globalThis as unknown as { WebSocket: new (...a: unknown[]) => object; sockets: object[] };
    const Native = g.WebSocket;
    g.sockets = [];
    g.WebSocket = class extends Native {
      constructor(...args: unknown[]) {
        super(...args);
        g.sockets.push(this);
      }
    };
  });
  const { pid, row } = await openFiles(page, host, 'watched');
  await sh(host, pid, 'echo a > before.txt');
  await expect(row('before.txt')).toBeVisible();

  await page.evaluate(() => {
    const g = globalThis as unknown as { sockets: { close(): void }[] };
    for (const socket of g.sockets) socket.close();
  });
  await expect
    .poll(() =>
      page.evaluate(() => {
        const g = globalThis as unknown as { sockets: { readyState: number }[] };
        return g.sockets.length > 1 && g.sockets.at(-1)!.readyState === 1;
      }),
    )
    .toBe(true);
  await expect(page.getByTestId('connection')).toHaveText('Connected');

  await sh(host, pid, 'echo b > after.txt');
  await expect(row('after.txt')).toBeVisible({ timeout: 10_000 });
});

test('bytes the editor cannot write back unchanged are shown read-only or as binary; CRLF stays CRLF', async ({
  page,
  host,
}) => {
  const { pid, files, row, open, editor } = await openFiles(page, host, 'bytes');
  await sh(
    host,
    pid,
    "printf 'caf\\351\\n' > latin1.txt; printf 'a\\000b' > blob.bin; printf 'one\\r\\ntwo\\r\\n' > dos.txt",
  );
  expect(await hexOf(host, pid, 'latin1.txt')).toBe('636166e90a');

  // Latin-1 text: shown, read-only, and saying why; typing and Ctrl+S change nothing
  await expect(row('latin1.txt')).toBeVisible();
  await open('latin1.txt');
  await expect(files.getByTestId('file-readonly')).toContainText('not valid UTF-8');
  await screenshot(page, 'files-read-only');
  await expect(editor).toContainText('caf');
  await expect(files.getByTestId('file-save')).toHaveCount(0);
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('x');
  await page.keyboard.press('Control+s');
  await expect(editor).not.toContainText('x');
  await page.waitForTimeout(500);
  expect(await hexOf(host, pid, 'latin1.txt')).toBe('636166e90a');

  // NUL bytes: binary, offered for download, not shown as text
  await open('blob.bin');
  await expect(files.getByTestId('file-binary')).toBeVisible();
  await expect(editor).toHaveCount(0);

  // CRLF: edited in the editor (which works in LF) and written back with CRLF
  await open('dos.txt');
  await expect(files.getByTestId('file-readonly')).toHaveCount(0);
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('three');
  await page.keyboard.press('Control+s');
  await expect(files.getByTestId('file-status')).toContainText('Saved');
  expect(await textOf(host, pid, 'dos.txt')).toBe('one\r\ntwo\r\nthree');
});

test('New file and Upload ask before replacing a file of the same name, and keep it unless told to', async ({
  page,
  host,
}) => {
  const { pid, files, row, editor } = await openFiles(page, host, 'careful');
  await sh(host, pid, "printf 'the agent notes\\n' > notes.md");
  await expect(row('notes.md')).toBeVisible();
  const notes = () => textOf(host, pid, 'notes.md');

  // New file with a name that is taken: asked; Escape keeps the file, and the name to change it
  await files.getByRole('button', { name: 'New file' }).click();
  await files.getByLabel('New file name').fill('notes.md');
  await files.getByRole('button', { name: 'Create' }).click();
  const exists = page.getByRole('alertdialog', { name: 'notes.md already exists' });
  await expect(exists).toBeVisible();
  await screenshot(page, 'files-name-taken');
  await page.keyboard.press('Escape');
  await expect(exists).toHaveCount(0);
  await expect(files.getByLabel('New file name')).toHaveValue('notes.md');
  expect(await notes()).toBe('the agent notes\n');
  // asked again: Open it (the default) opens the file as it is
  await files.getByRole('button', { name: 'Create' }).click();
  await expect(exists.getByRole('button', { name: 'Open it' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(editor).toContainText('the agent notes');
  expect(await notes()).toBe('the agent notes\n');

  // Upload over it: asked, and Cancel upload keeps it
  const input = files.locator('input[type=file]');
  const file = (name: string, text: string) => ({ name, mimeType: 'text/plain', buffer: Buffer.from(text) });
  await input.setInputFiles([file('notes.md', 'uploaded\n')]);
  const taken = page.getByRole('alertdialog', { name: 'notes.md already exists here' });
  await taken.getByRole('button', { name: 'Cancel upload' }).click();
  await expect(taken).toHaveCount(0);
  expect(await notes()).toBe('the agent notes\n');
  // with a new file beside it: Skip it uploads only the new one
  await input.setInputFiles([file('notes.md', 'uploaded\n'), file('fresh.txt', 'fresh\n')]);
  await taken.getByRole('button', { name: 'Skip it' }).click();
  await expect(row('fresh.txt')).toBeVisible();
  expect(await textOf(host, pid, 'fresh.txt')).toBe('fresh\n');
  expect(await notes()).toBe('the agent notes\n');
  // and Replace it replaces it
  await input.setInputFiles([file('notes.md', 'uploaded\n')]);
  await taken.getByRole('button', { name: 'Replace it' }).click();
  await expect.poll(notes).toBe('uploaded\n');
  // no part file is left behind
  const client = await bridge(host);
  try {
    const { entries } = await client.call('fs.list', { pid, path: '.' });
    expect(entries.filter((e) => e.name.startsWith('.habitat-tmp-'))).toEqual([]);
  } finally {
    client.close();
  }
});

test('a save never silently replaces what the agent wrote since the file was read; a file without edits follows the disk', async ({
  page,
  host,
}) => {
  const { pid, files, row, open, editor } = await openFiles(page, host, 'sharer');
  const shared = () => textOf(host, pid, 'shared.txt');
  await sh(host, pid, "printf 'line one\\n' > shared.txt");
  await expect(row('shared.txt')).toBeVisible();
  await open('shared.txt');
  await expect(editor).toContainText('line one');

  // no edits: what the agent appends shows up by itself
  await sh(host, pid, "printf 'AGENT 1\\n' >> shared.txt");
  await expect(editor).toContainText('AGENT 1');

  // edits: a change on disk is announced, not loaded over them
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('my note');
  await sh(host, pid, "printf 'AGENT 2\\n' >> shared.txt");
  await expect(files.getByTestId('file-on-disk')).toContainText('changed on disk');
  await expect(editor).toContainText('my note');
  await expect(editor).not.toContainText('AGENT 2');
  await screenshot(page, 'files-changed-on-disk');

  // saving asks; Cancel writes nothing
  await page.keyboard.press('Control+s');
  const conflict = page.getByRole('alertdialog', { name: 'shared.txt changed on disk' });
  await expect(conflict.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await screenshot(page, 'files-save-conflict');
  await conflict.getByRole('button', { name: 'Cancel' }).click();
  await expect(conflict).toHaveCount(0);
  expect(await shared()).toBe('line one\nAGENT 1\nAGENT 2\n');
  // Overwrite writes the edits
  await page.keyboard.press('Control+s');
  await conflict.getByRole('button', { name: 'Overwrite' }).click();
  await expect.poll(shared).toBe('line one\nAGENT 1\nmy note');
  await expect(files.getByTestId('file-on-disk')).toHaveCount(0);

  // edited again, and the agent rewrites it: Reload drops the edits and shows the agent's file
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(' again');
  await sh(host, pid, "printf 'AGENT 3\\n' > shared.txt");
  await expect(files.getByTestId('file-on-disk')).toBeVisible();
  await page.keyboard.press('Control+s');
  await conflict.getByRole('button', { name: 'Reload, drop my edits' }).click();
  await expect(editor).toContainText('AGENT 3');
  await expect(editor).not.toContainText('again');
  expect(await shared()).toBe('AGENT 3\n');

  // nothing changed on disk: a save just saves
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('mine');
  await page.keyboard.press('Control+s');
  await expect.poll(shared).toBe('AGENT 3\nmine');
  await expect(conflict).toHaveCount(0);
  await expect(files.getByTestId('file-status')).toContainText('Saved');
});

test('unsaved edits are never dropped without asking: Close file, another file, the window, the page', async ({
  page,
  host,
}) => {
  const { pid, vm, files, row, open, editor } = await openFiles(page, host, 'writer');
  const draft = () => textOf(host, pid, 'draft.md');
  /** Whether leaving or reloading the page would be stopped to ask (a beforeunload handler cancels it). */
  const leaveHeld = () =>
    page.evaluate(() => {
      const event = new Event('beforeunload', { cancelable: true });
      (globalThis as unknown as { dispatchEvent(e: Event): boolean }).dispatchEvent(event);
      return event.defaultPrevented;
    });
  await sh(host, pid, "printf 'draft\\n' > draft.md; printf 'other\\n' > other.md");
  await expect(row('other.md')).toBeVisible();
  await open('draft.md');
  expect(await leaveHeld()).toBe(false);
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('unsaved paragraph');
  expect(await leaveHeld()).toBe(true);

  // Close file asks (Save first); Cancel keeps the edits
  await files.getByRole('button', { name: 'Close file' }).click();
  const unsaved = page.getByRole('alertdialog', { name: 'Save the changes to draft.md?' });
  await expect(unsaved.getByRole('button', { name: 'Save', exact: true })).toBeFocused();
  await screenshot(page, 'files-unsaved');
  await unsaved.getByRole('button', { name: 'Cancel' }).click();
  await expect(editor).toContainText('unsaved paragraph');

  // so does opening another file (Escape is Cancel)
  await row('other.md').getByRole('button', { name: 'other.md', exact: true }).click();
  await expect(unsaved).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(unsaved).toHaveCount(0);
  await expect(editor).toContainText('unsaved paragraph');

  // and closing the window with Ctrl+Alt+W: Cancel keeps the window and the edits
  await editor.click();
  await page.keyboard.press('Control+Alt+w');
  await expect(unsaved).toBeVisible();
  await unsaved.getByRole('button', { name: 'Cancel' }).click();
  await expect(vm).toBeVisible();
  await expect(editor).toContainText('unsaved paragraph');

  // Close file, Save: saved, then closed
  await files.getByRole('button', { name: 'Close file' }).click();
  await unsaved.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(files.locator('.files-preview')).toContainText('Choose a file');
  expect(await draft()).toBe('draft\nunsaved paragraph');
  expect(await leaveHeld()).toBe(false);

  // edited again, the window's Close button, Don't save: the window goes and the file stays as saved
  await open('draft.md');
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(' more');
  await vm.getByRole('button', { name: 'Close', exact: true }).click();
  await unsaved.getByRole('button', { name: "Don't save" }).click();
  await expect(vm).toHaveCount(0);
  expect(await draft()).toBe('draft\nunsaved paragraph');
  expect(await leaveHeld()).toBe(false);
});

test('a download shows its progress in the toolbar and can be cancelled; what an upload did shows with no file open', async ({
  page,
  host,
}) => {
  const { pid, files, row } = await openFiles(page, host, 'mover');
  const size = 96 * 1024 * 1024;
  await sh(host, pid, `head -c ${size} /dev/urandom > big.bin`);
  await expect(row('big.bin')).toBeVisible();
  const button = row('big.bin').getByRole('button', { name: 'Download big.bin' });
  let downloads = 0;
  page.on('download', () => downloads++);

  // under way: a bar, how much of how much, the button disabled; Cancel stops it and nothing is saved
  await button.click();
  const line = files.getByTestId('file-transfer');
  await expect(files.getByRole('progressbar', { name: 'Downloading big.bin' })).toBeVisible();
  await expect(line).toContainText(/[\d.]+ (B|KiB|MiB) of 96\.0 MiB/);
  await expect(button).toBeDisabled();
  await screenshot(page, 'files-download');
  await line.getByRole('button', { name: 'Cancel' }).click();
  await expect(line).toHaveCount(0);
  await expect(files.getByTestId('file-status')).toHaveText('Download of big.bin cancelled');
  await expect(button).toBeEnabled();
  expect(downloads).toBe(0);

  // all the way: it arrives whole, and the toolbar says so
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), button.click()]);
  const { statSync } = await import('node:fs');
  expect(statSync((await download.path())!).size).toBe(size);
  await expect(files.getByTestId('file-status')).toHaveText('Downloaded big.bin (96.0 MiB)');

  // an upload with no file open says what it did
  await expect(files.locator('.files-preview')).toContainText('Choose a file');
  await files
    .locator('input[type=file]')
    .setInputFiles([{ name: 'up.txt', mimeType: 'text/plain', buffer: Buffer.from('up\n') }]);
  await expect(files.getByTestId('file-status')).toHaveText('Uploaded 1 of 1 file');
  await expect(row('up.txt')).toBeVisible();
});
