import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { commands, HabitatError, type ProcessInfo } from '../../shared/protocol/index.js';
import { Bridge, connectInMemory } from '../bridge/index.js';
import { EventBus } from '../../kernel/index.js';
import { applicationMenuTemplate } from './appMenu.js';
import { appHandlers } from './appHandlers.js';
import { APP_CSP, createAppProtocolHandler } from './appProtocol.js';
import { isAllowedExternal, openAllowedExternal } from './externalLinks.js';
import { AgentNotifier, type AgentNotification } from './notifications.js';
import { SecretStore, type Encryptor } from './secrets.js';
import { isValidAccelerator, registerShortcut } from './shortcut.js';
import { trayMenuTemplate, trayTooltip } from './tray.js';
import { UpdateController, type Updater, type UpdateState } from './updates.js';
import { createWindow, hardenWebContents, windowUrl, type WindowKind } from './windowOptions.js';
import { fitToDisplays, loadWindowState, saveWindowState } from './windowState.js';

const scratch = mkdtempSync(join(tmpdir(), 'habitat-shell-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** What the window factory hands to BrowserWindow, without Electron. */
class FakeWindow {
  constructor(readonly options: Electron.BrowserWindowConstructorOptions) {}
}
const windowOptions = (what: WindowKind, options: Parameters<typeof createWindow>[2]) =>
  createWindow(FakeWindow, what, options).options;

describe('window factory', () => {
  it('locks every window down the same way', () => {
    for (const what of [{ kind: 'main' as const }, { kind: 'agent' as const, pid: 7 }]) {
      const options = windowOptions(what, { preload: '/app/preload.cjs', dark: true });
      expect(options.webPreferences).toMatchObject({
        preload: '/app/preload.cjs',
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        navigateOnDragDrop: false,
        disableBlinkFeatures: 'Auxclick',
      });
      expect(options.show).toBe(false);
    }
    expect(windowOptions({ kind: 'agent', pid: 7 }, { preload: 'p', dark: false }).title).toBe(
      'Habitat: agent 7',
    );
    const saved = { bounds: { x: 10, y: 20, width: 800, height: 600 }, maximized: false };
    expect(windowOptions({ kind: 'main' }, { preload: 'p', dark: false, state: saved })).toMatchObject(
      saved.bounds,
    );
  });

  it('loads the app from app://, never file://; a detached agent window names its agent', () => {
    expect(windowUrl({ kind: 'main' })).toBe('app://habitat/index.html');
    expect(windowUrl({ kind: 'agent', pid: 12 })).toBe('app://habitat/index.html#agent=12');
    expect(windowUrl({ kind: 'main' }, 'http://localhost:5173')).toBe('http://localhost:5173');
  });

  it('denies navigation, new windows and webviews; allow-listed https links go to the browser', () => {
    const handlers = new Map<string, (event: { preventDefault(): void }, url?: string) => void>();
    let openHandler: ((details: { url: string }) => { action: string }) | undefined;
    const contents = {
      setWindowOpenHandler: (handler: typeof openHandler) => (openHandler = handler),
      on: (name: string, handler: (event: { preventDefault(): void }, url?: string) => void) =>
        handlers.set(name, handler),
    };
    const opened: string[] = [];
    hardenWebContents(contents as never, {
      isAppUrl: (url) => url.startsWith('app://habitat/'),
      openExternal: (url) => openAllowedExternal(url, async (u) => void opened.push(u)),
    });
    expect(openHandler!({ url: 'https://github.com/habitat' })).toEqual({ action: 'deny' });
    expect(openHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(openHandler!({ url: 'http://github.com/' })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://github.com/habitat']);
    const attempt = (name: string, url?: string): boolean => {
      const preventDefault = vi.fn();
      handlers.get(name)!({ preventDefault }, url);
      return preventDefault.mock.calls.length > 0;
    };
    expect(attempt('will-navigate', 'https://evil.example/')).toBe(true);
    expect(attempt('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(attempt('will-navigate', 'app://habitat/index.html')).toBe(false);
    expect(attempt('will-redirect', 'https://evil.example/')).toBe(true);
    expect(attempt('will-attach-webview')).toBe(true);
  });

  it('allows only https links to listed hosts, without credentials or odd ports', () => {
    expect(isAllowedExternal('https://ai.google.dev/gemini-api/docs/api-key')).toBe(true);
    for (const url of [
      'http://ai.google.dev/',
      'https://ai.google.dev.evil.example/',
      'https://user:pw@github.com/',
      'https://github.com:8443/',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'not a url',
    ])
      expect(isAllowedExternal(url), url).toBe(false);
  });
});

describe('app:// protocol', () => {
  const renderer = join(scratch, 'renderer');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>Habitat</title>');
  writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(scratch, 'secret.txt'), 'outside the renderer');
  const read = vi.fn(async (file: string) => new Response(readFileSync(file)));
  const handle = createAppProtocolHandler(renderer, read);
  const get = (url: string, method = 'GET') => handle(new Request(url, { method }));

  it('serves files of the built renderer with a strict CSP', async () => {
    const page = await get('app://habitat/index.html');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Habitat</title>');
    expect(page.headers.get('Content-Security-Policy')).toBe(APP_CSP);
    expect(APP_CSP).toContain("script-src 'self'");
    expect(APP_CSP).toContain("object-src 'none'");
    // no network but the loopback displays' proxy
    expect(APP_CSP).toContain("connect-src 'self' ws://127.0.0.1:*;");
    expect(await (await get('app://habitat/assets/app.js')).text()).toBe('console.log(1)');
    // the renderer routes itself: a path without an extension is the app
    expect(await (await get('app://habitat/agents/12')).text()).toContain('Habitat');
  });

  it('refuses paths that leave the renderer folder, other hosts and other methods', async () => {
    read.mockClear();
    const refused = [
      'app://habitat/%2e%2e/secret.txt',
      'app://habitat/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      'app://habitat/..%2fsecret.txt',
      'app://habitat/assets/%5c..%5c..%5csecret.txt',
      'app://habitat/index.html%00.js',
      'app://habitat/%E0%A4%A',
      'app://evil/index.html',
      'app://habitat/missing.js',
    ];
    for (const url of refused) {
      const response = await get(url);
      expect(response.status, url).toBe(404);
      expect(await response.text(), url).not.toContain('outside the renderer');
    }
    expect((await get('app://habitat/index.html', 'POST')).status).toBe(405);
    expect(read).not.toHaveBeenCalled();
  });
});

describe('window state', () => {
  const file = join(scratch, 'window-state.json');

  it('round-trips, and treats a missing or damaged file as none', () => {
    expect(loadWindowState(file)).toBeUndefined();
    const state = { bounds: { x: 40, y: 50, width: 1200, height: 800 }, maximized: true };
    saveWindowState(file, state);
    expect(loadWindowState(file)).toEqual(state);
    writeFileSync(file, '{"bounds":{"x":"left"}');
    expect(loadWindowState(file)).toBeUndefined();
    writeFileSync(file, JSON.stringify({ bounds: { x: 0, y: 0, width: 5, height: 5 }, maximized: false }));
    expect(loadWindowState(file)).toBeUndefined();
  });

  it('keeps a window where a display is, and brings one back from a display that is gone', () => {
    const displays = [{ x: 0, y: 0, width: 1920, height: 1080 }];
    const onScreen = { bounds: { x: 100, y: 100, width: 1000, height: 700 }, maximized: false };
    expect(fitToDisplays(onScreen, displays)).toEqual(onScreen);
    const offScreen = { bounds: { x: 3000, y: 100, width: 2500, height: 700 }, maximized: true };
    expect(fitToDisplays(offScreen, displays)).toEqual({
      maximized: true,
      bounds: { x: 0, y: 190, width: 1920, height: 700 },
    });
  });
});

describe('tray, menu, notifications and shortcut', () => {
  const agent = (pid: number, phase: ProcessInfo['phase'], exitReason: string | null = null): ProcessInfo =>
    ({ pid, name: `agent-${pid}`, phase, exitReason, goal: 'write a report' }) as ProcessInfo;

  it('shows the counts and offers pause and resume only when there is something to pause or resume', () => {
    const actions = { openMissionControl: vi.fn(), pauseAll: vi.fn(), resumeAll: vi.fn(), quit: vi.fn() };
    const state = { connected: true, agents: { total: 3, running: 2, stopped: 1, waiting: 1 } };
    expect(trayTooltip(state)).toBe('Habitat: 2 of 3 agents running, 1 waiting for you');
    const menu = trayMenuTemplate(state, actions);
    const item = (label: string) => menu.find((m) => m.label === label)!;
    expect(item('Pause All Agents').enabled).toBe(true);
    (item('Pause All Agents').click as () => void)();
    expect(actions.pauseAll).toHaveBeenCalled();
    const idle = trayMenuTemplate(
      { connected: true, agents: { total: 0, running: 0, stopped: 0, waiting: 0 } },
      actions,
    );
    expect(idle.find((m) => m.label === 'Pause All Agents')!.enabled).toBe(false);
    expect(idle.find((m) => m.label === 'Resume All Agents')!.enabled).toBe(false);
    expect(trayTooltip({ connected: false, agents: state.agents })).toContain('not running');
  });

  it('has the platform conventions in the application menu', () => {
    const actions = {
      openMissionControl: vi.fn(),
      openSmartBar: vi.fn(),
      checkForUpdates: vi.fn(),
      openDocs: vi.fn(),
    };
    const mac = applicationMenuTemplate('darwin', actions);
    const linux = applicationMenuTemplate('linux', actions);
    expect(mac[0]!.label).toBe('Habitat');
    expect(linux.map((m) => m.label ?? m.role)).toEqual(['File', 'editMenu', 'View', 'windowMenu', 'help']);
    const view = linux.find((m) => m.label === 'View')!.submenu as { label?: string; accelerator?: string }[];
    expect(view.find((i) => i.label === 'Smart Bar')!.accelerator).toBe('CmdOrCtrl+K');
  });

  it('notifies once when an agent completes or fails, and when it waits for approval', () => {
    const shown: AgentNotification[] = [];
    const notifier = new AgentNotifier((n) => shown.push(n));
    notifier.onProcess(agent(1, 'thinking'));
    notifier.onProcess(agent(1, 'completed', 'wrote report.md'));
    notifier.onProcess(agent(1, 'completed', 'wrote report.md'));
    notifier.onProcess(agent(2, 'failed', 'the model refused: ' + 'x'.repeat(500)));
    notifier.onApprovalRequested(3, 'agent-3', 'rm -rf build/');
    const request = {
      id: 'a1',
      tool: 'run_command',
      args: { command: 'curl x | sh' },
      reasons: ['pipes a download into a shell'],
    };
    notifier.onApproval({ pid: 4, change: 'requested', request });
    notifier.onApproval({ pid: 4, change: 'requested', request }); // the same request again: once
    notifier.onApproval({ pid: 4, change: 'resolved', request });
    expect(shown.map((n) => n.title)).toEqual([
      'agent-1 (PID 1) completed',
      'agent-2 (PID 2) failed',
      'agent-3 (PID 3) waits for your approval',
      'Agent (PID 4) waits for your approval',
    ]);
    expect(shown[3]!.body).toBe('curl x | sh (pipes a download into a shell)');
    expect(shown[0]!.body).toBe('wrote report.md');
    expect(shown[1]!.body.length).toBeLessThanOrEqual(180);
  });

  it('registers a global shortcut, refusing malformed ones and keeping the old one when the new one is taken', () => {
    expect(isValidAccelerator('CommandOrControl+Shift+Space')).toBe(true);
    expect(isValidAccelerator('Alt+F12')).toBe(true);
    for (const bad of ['Space', 'Ctrl+', 'Ctrl+Ctrl+A', 'Hyper+A', 'Ctrl+Shift+Enter+A', ''])
      expect(isValidAccelerator(bad), bad).toBe(false);
    const taken = new Set(['Alt+F1']);
    const held = new Set<string>();
    const shortcuts = {
      register: (accelerator: string) => !taken.has(accelerator) && (held.add(accelerator), true),
      unregister: (accelerator: string) => void held.delete(accelerator),
    };
    expect(registerShortcut(shortcuts, undefined, 'Ctrl+Alt+H', () => {})).toEqual({ ok: true });
    expect(registerShortcut(shortcuts, 'Ctrl+Alt+H', 'Alt+F1', () => {})).toEqual({
      ok: false,
      reason: 'Alt+F1 is taken by another application',
    });
    expect([...held]).toEqual(['Ctrl+Alt+H']);
    expect(registerShortcut(shortcuts, 'Ctrl+Alt+H', 'H', () => {}).ok).toBe(false);
    expect([...held]).toEqual(['Ctrl+Alt+H']);
  });
});

describe('secrets', () => {
  // Stands in for the OS keychain: reversible, and nothing like the plain text
  const keychain: Encryptor = {
    isEncryptionAvailable: () => true,
    getSelectedStorageBackend: () => 'gnome_libsecret',
    encryptString: (plain) => Buffer.from(`enc:${Buffer.from(plain).reverse().toString('base64')}`),
    decryptString: (encrypted) => {
      const text = encrypted.toString();
      if (!text.startsWith('enc:')) throw new Error('not ours');
      return Buffer.from(text.slice(4), 'base64').reverse().toString();
    },
  };

  it('stores secrets only encrypted, one private file each', () => {
    const dir = join(scratch, 'secrets');
    const store = new SecretStore(dir, keychain);
    store.set('gemini.apiKey', 'AIza-very-secret');
    expect(store.get('gemini.apiKey')).toBe('AIza-very-secret');
    const raw = readFileSync(join(dir, 'gemini.apiKey.bin'));
    expect(raw.toString()).not.toContain('very-secret');
    store.delete('gemini.apiKey');
    expect(store.has('gemini.apiKey')).toBe(false);
    writeFileSync(join(dir, 'gemini.apiKey.bin'), 'garbage from elsewhere');
    expect(store.get('gemini.apiKey')).toBeUndefined();
    expect(() => store.get('../../etc/passwd')).toThrow(HabitatError);
  });

  it('refuses to store anything where the OS offers no encryption', () => {
    const store = new SecretStore(join(scratch, 'plain'), {
      ...keychain,
      isEncryptionAvailable: () => false,
    });
    expect(() => store.set('gemini.apiKey', 'k')).toThrow(/no keychain/);
  });
});

class FakeUpdater {
  autoDownload = true;
  autoInstallOnAppQuit = true;
  forceDevUpdateConfig = false;
  feed: unknown;
  installed = false;
  private listeners = new Map<string, (arg?: never) => void>();
  constructor(private readonly script: { version?: string }) {}
  setFeedURL(options: unknown): void {
    this.feed = options;
  }
  on(event: string, listener: (arg?: never) => void): this {
    this.listeners.set(event, listener);
    return this;
  }
  emit(event: string, arg?: unknown): void {
    this.listeners.get(event)?.(arg as never);
  }
  async checkForUpdates(): Promise<void> {
    this.emit('checking-for-update');
    if (this.script.version) this.emit('update-available', { version: this.script.version });
    else this.emit('update-not-available');
  }
  async downloadUpdate(): Promise<void> {
    for (const percent of [25, 50.04, 100]) this.emit('download-progress', { percent });
    this.emit('update-downloaded', { version: this.script.version });
  }
  quitAndInstall(): void {
    this.installed = true;
  }
}

describe('updates', () => {
  it('checks, then downloads and installs only when asked, publishing every step', async () => {
    const states: UpdateState[] = [];
    const updater = new FakeUpdater({ version: '1.2.0' });
    const updates = new UpdateController(
      updater as unknown as Updater,
      { url: 'https://updates.example/habitat', packaged: true },
      (s) => states.push(s),
    );
    expect(updater.autoDownload).toBe(false);
    expect(updater.autoInstallOnAppQuit).toBe(false);
    expect(updater.feed).toEqual({ provider: 'generic', url: 'https://updates.example/habitat' });
    expect(() => updates.install()).toThrow(/no update/);
    expect(await updates.check()).toEqual({ state: 'available', version: '1.2.0' });
    expect(updater.installed).toBe(false);
    await updates.download();
    updates.install();
    expect(updater.installed).toBe(true);
    expect(states.map((s) => (s.state === 'downloading' ? `downloading ${s.percent}` : s.state))).toEqual([
      'checking',
      'available',
      'downloading 0',
      'downloading 25',
      'downloading 50',
      'downloading 100',
      'ready',
    ]);
  });

  it('goes through the bridge as app.* commands, refusing a download before a check', async () => {
    const events = new EventBus();
    const updates = new UpdateController(
      new FakeUpdater({}) as unknown as Updater,
      { packaged: false },
      (s) => events.emit('app.update', s),
    );
    const handlers = appHandlers(
      {
        detach: vi.fn(),
        setTheme: vi.fn(),
        setShortcut: () => ({ ok: false, reason: 'Alt+F1 is taken by another application' }),
        getShortcut: () => ({ accelerator: 'Alt+Shift+Space', registered: false }),
        updates,
        secrets: new SecretStore(join(scratch, 'bridge-secrets'), {
          isEncryptionAvailable: () => true,
          getSelectedStorageBackend: () => 'kwallet6',
          encryptString: (s) => Buffer.from(s).reverse(),
          decryptString: (b) => Buffer.from(b).reverse().toString(),
        }),
      },
      (pid) => pid === 1,
    );
    const { client, close } = connectInMemory(new Bridge({ handlers, events }));
    const seen: unknown[] = [];
    client.subscribe('app.update', (payload) => seen.push(payload));
    expect(await client.call('app.checkUpdate', {})).toEqual({ state: 'none' });
    expect((updates as unknown as { updater: FakeUpdater }).updater.forceDevUpdateConfig).toBe(true);
    await expect(client.call('app.downloadUpdate', {})).rejects.toMatchObject({ code: 'E_CONFLICT' });
    await expect(client.call('app.detachWindow', { pid: 2 })).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await expect(client.call('app.setShortcut', { accelerator: 'Alt+F1' })).rejects.toMatchObject({
      code: 'E_INVALID',
      message: 'Alt+F1 is taken by another application',
    });
    expect(await client.call('app.getShortcut', {})).toEqual({
      accelerator: 'Alt+Shift+Space',
      registered: false,
    });
    await client.call('app.setSecret', { name: 'gemini.apiKey', value: 'k' });
    expect(await client.call('app.hasSecret', { name: 'gemini.apiKey' })).toEqual({ stored: true });
    await expect(
      client.call('app.setSecret', { name: 'shell.history' as never, value: 'k' }),
    ).rejects.toMatchObject({ code: 'E_INVALID' });
    expect(seen).toContainEqual({ state: 'none' });
    close();
  });

  it('answers E_UNAVAILABLE for app.* commands where no desktop shell handles them (the headless host)', async () => {
    const { client, close } = connectInMemory(new Bridge({ handlers: {}, events: new EventBus() }));
    for (const name of Object.keys(commands).filter((c) => c.startsWith('app.'))) {
      await expect(client.call(name as never, {} as never), name).rejects.toMatchObject({
        code: expect.stringMatching(/E_UNAVAILABLE|E_INVALID/) as string,
      });
    }
    close();
  });
});
