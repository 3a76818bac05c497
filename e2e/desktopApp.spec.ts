import type { Page } from '@playwright/test';
import { expect, test, type ServedHost } from './fixtures.js';
import { screenshot, windowOf } from './helpers.js';

// The renderer as the desktop app runs it: window.habitat is preload's bridge, whose calls resolve with envelopes
// (a rejected Error would cross Electron's contextBridge as its message alone). Electron cannot run here, so this page
// gets a stand-in preload: the kernel's commands go to a served host over its WebSocket, the desktop shell's app.*
// commands are answered in the page as main would, and every answer is structured-cloned as contextBridge does.

interface FakeShell {
  shortcut: { accelerator: string; registered: boolean };
  /** What app.setSecret answers: main refuses to save a key on Linux without a keyring. */
  secretError: { code: string; message: string };
}

function fakePreload({ wsUrl, token, shell }: { wsUrl: string; token: string; shell: FakeShell }): void {
  type Envelope = { ok: true; result: unknown } | { ok: false; error: unknown };
  type Listener = (payload: unknown, topic: string) => void;
  const socket = new WebSocket(wsUrl, ['habitat.v1', `habitat.token.${token}`]);
  let state = 'connecting';
  let nextId = 1;
  const pending = new Map<number, (envelope: Envelope) => void>();
  const listeners = new Map<string, Set<Listener>>();
  const stateListeners = new Set<(state: string) => void>();
  const queue: string[] = [];
  const send = (message: object) => {
    const text = JSON.stringify(message);
    if (state === 'open') socket.send(text);
    else queue.push(text);
  };
  socket.onopen = () => {
    state = 'open';
    for (const text of queue.splice(0)) socket.send(text);
    for (const listener of stateListeners) listener(state);
  };
  socket.onmessage = (event) => {
    if (typeof event.data !== 'string') return; // terminal frames: not for this page
    const message = JSON.parse(event.data);
    if (message.type === 'result') pending.get(message.id)?.(message);
    if (message.type === 'event') {
      for (const [pattern, set] of listeners) {
        const matches =
          pattern === '*' ||
          pattern === message.topic ||
          (pattern.endsWith('.*') && message.topic.startsWith(pattern.slice(0, -1)));
        if (matches) for (const listener of set) listener(structuredClone(message.payload), message.topic);
      }
    }
  };
  const app = (command: string, args: Record<string, unknown>): Envelope => {
    switch (command) {
      case 'app.getShortcut':
        return { ok: true, result: shell.shortcut };
      case 'app.setShortcut':
        if (!/^(Alt|Shift|Ctrl|CommandOrControl)\+/.test(String(args.accelerator)))
          return {
            ok: false,
            error: {
              code: 'E_INVALID',
              message: `${args.accelerator} is not a shortcut: modifiers, then one key`,
            },
          };
        shell.shortcut = { accelerator: String(args.accelerator), registered: true };
        return { ok: true, result: { accelerator: args.accelerator } };
      case 'app.hasSecret':
        return { ok: true, result: { stored: false } };
      case 'app.setSecret':
        return { ok: false, error: shell.secretError };
      default:
        return { ok: true, result: {} };
    }
  };
  // globalThis is the page's window (this file is type-checked without the DOM library)
  (globalThis as unknown as { habitat: unknown }).habitat = {
    call: async (command: string, args: Record<string, unknown> = {}) => {
      if (command.startsWith('app.')) return structuredClone(app(command, args));
      const id = nextId++;
      const answer = await new Promise<Envelope>((resolve) => {
        pending.set(id, resolve);
        send({ type: 'call', id, command, args });
      });
      pending.delete(id);
      return structuredClone(
        answer.ok ? { ok: true, result: answer.result } : { ok: false, error: answer.error },
      );
    },
    subscribe: (pattern: string, listener: Listener) => {
      let set = listeners.get(pattern);
      if (!set) {
        listeners.set(pattern, (set = new Set()));
        send({ type: 'subscribe', id: nextId++, topics: [pattern] });
      }
      set.add(listener);
      return () => set.delete(listener);
    },
    onConnectionChange: (listener: (state: string) => void) => {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    getConnectionState: () => state,
  };
}

async function openDesktopApp(page: Page, host: ServedHost, shell: FakeShell): Promise<void> {
  await page.addInitScript(fakePreload, { wsUrl: host.wsUrl, token: host.token, shell });
  await page.setViewportSize({ width: 1440, height: 900 });
  // no token in the address: inside the desktop app the page never opens a socket of its own
  await page.goto(new URL('/', host.url).toString());
  await expect(page.getByTestId('connection')).toHaveText('Connected');
  await page.getByTestId('dock-settings').click();
  await windowOf(page, 'settings').getByRole('tab', { name: 'Desktop app' }).click();
}

const NO_KEYRING = {
  code: 'E_UNAVAILABLE',
  message:
    'no keyring is running: the password store is basic_text, which encrypts with a password built into the app, ' +
    'so anyone who can read your files could read the key. Install and unlock a keyring (gnome-keyring, or KWallet ' +
    'on KDE) and restart Habitat',
};

test('the desktop app’s settings: errors keep their code across the bridge, and the shortcut shown is the one saved', async ({
  page,
  host,
}) => {
  await openDesktopApp(page, host, {
    shortcut: { accelerator: 'Alt+Shift+H', registered: true },
    secretError: NO_KEYRING,
  });
  const settings = windowOf(page, 'settings');

  // the shortcut a previous run saved, not the default
  const shortcut = settings.getByRole('form', { name: 'Global shortcut' });
  await expect(shortcut.getByLabel('Global shortcut')).toHaveValue('Alt+Shift+H');
  await expect(shortcut.getByText('Now Alt+Shift+H.')).toBeVisible();
  await shortcut.getByLabel('Global shortcut').fill('Ctrl+Alt+J');
  await shortcut.getByRole('button', { name: 'Set shortcut' }).click();
  await expect(shortcut.getByRole('status')).toHaveText(
    'Saved: Ctrl+Alt+J from now on, also after a restart.',
  );
  await expect(shortcut.getByText('Now Ctrl+Alt+J.')).toBeVisible();
  // a refusal arrives with its code and message, not as E_INTERNAL
  await shortcut.getByLabel('Global shortcut').fill('J');
  await shortcut.getByRole('button', { name: 'Set shortcut' }).click();
  const refused = shortcut.getByTestId('error-box');
  await expect(refused).toHaveAttribute('data-code', 'E_INVALID');
  await expect(refused).toContainText('J is not a shortcut');

  // a key that cannot be kept safe is refused, and the page says why and what to install
  const key = settings.getByRole('form', { name: 'Gemini API key' });
  await key.getByLabel('Gemini API key').fill('AIza-test-key');
  await key.getByRole('button', { name: 'Save key' }).click();
  const error = key.getByTestId('error-box');
  await expect(error).toHaveAttribute('data-code', 'E_UNAVAILABLE');
  await expect(error).toContainText('no keyring is running');
  await expect(error).toContainText('gnome-keyring');
  await screenshot(page, 'settings-desktop-app');
});

test('a shortcut another application holds is shown as not in force', async ({ page, host }) => {
  await openDesktopApp(page, host, {
    shortcut: { accelerator: 'CommandOrControl+Shift+Space', registered: false },
    secretError: NO_KEYRING,
  });
  const shortcut = windowOf(page, 'settings').getByRole('form', { name: 'Global shortcut' });
  await expect(shortcut.getByLabel('Global shortcut')).toHaveValue('CommandOrControl+Shift+Space');
  await expect(
    shortcut.getByText(
      'CommandOrControl+Shift+Space is held by another application, so no shortcut works now',
    ),
  ).toBeVisible();
});
