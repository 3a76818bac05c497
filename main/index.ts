import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  app,
  BrowserWindow,
  globalShortcut,
  ipcMain,
  Menu,
  nativeImage,
  nativeTheme,
  net,
  Notification,
  protocol,
  safeStorage,
  screen,
  session,
  shell,
  Tray,
} from 'electron';
import electronUpdater from 'electron-updater';
import type { ProcessInfo } from '../shared/protocol/index.js';
import { attachIpcTransport, isAppMainFrame } from './bridge/index.js';
import { createHabitat } from './habitat.js';
import {
  AgentNotifier,
  APP_ORIGIN,
  APP_SCHEME,
  appHandlers,
  applicationMenuTemplate,
  createAppProtocolHandler,
  createWindow,
  DEFAULT_SHORTCUT,
  fitToDisplays,
  hardenWebContents,
  loadWindowState,
  openAllowedExternal,
  registerShortcut,
  saveWindowState,
  SecretStore,
  trayMenuTemplate,
  type TrayState,
  trayTooltip,
  UpdateController,
  type WindowKind,
  windowUrl,
} from './shell/index.js';

// The desktop app's composition root. Everything with logic lives in kernel/, runtime/, main/bridge and main/shell,
// tested under plain Node; this file only wires it to Electron.

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

const DOCS_URL = 'https://github.com/habitat-os/habitat#readme'; // github.com is on the allow-list

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void main();
}

async function main(): Promise<void> {
  await app.whenReady();
  const userData = app.getPath('userData');
  const rendererDir = join(__dirname, '../renderer');
  const preload = join(__dirname, '../preload/index.cjs');
  const devServer = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
  const stateFile = join(userData, 'window-state.json');

  protocol.handle(
    APP_SCHEME,
    createAppProtocolHandler(rendererDir, (file) => net.fetch(pathToFileURL(file).toString())),
  );
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);

  const secrets = new SecretStore(join(userData, 'secrets'), safeStorage);
  let mainWindow: BrowserWindow | undefined;
  const agentWindows = new Map<number, BrowserWindow>();
  let shortcut: string | undefined;

  const openExternal = (url: string): boolean => openAllowedExternal(url, (u) => shell.openExternal(u));
  const isAppUrl = (url: string): boolean =>
    url.startsWith(`${APP_ORIGIN}/`) || (devServer !== undefined && url.startsWith(devServer));

  const openWindow = (what: WindowKind): BrowserWindow => {
    const saved = what.kind === 'main' ? loadWindowState(stateFile) : undefined;
    const state =
      saved &&
      fitToDisplays(
        saved,
        screen.getAllDisplays().map((d) => d.workArea),
      );
    const window = createWindow(BrowserWindow, what, {
      preload,
      state,
      dark: nativeTheme.shouldUseDarkColors,
    });
    hardenWebContents(window.webContents, { isAppUrl, openExternal });
    if (state?.maximized) window.maximize();
    window.once('ready-to-show', () => window.show());
    void window.loadURL(windowUrl(what, devServer));
    return window;
  };

  const showMainWindow = (): void => {
    if (!mainWindow || mainWindow.isDestroyed()) {
      mainWindow = openWindow({ kind: 'main' });
      const window = mainWindow;
      window.on('close', () =>
        saveWindowState(stateFile, { bounds: window.getNormalBounds(), maximized: window.isMaximized() }),
      );
    }
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
  };

  const focusAgent = (pid: number): void => {
    const detached = agentWindows.get(pid);
    if (detached && !detached.isDestroyed()) {
      detached.focus();
      return;
    }
    showMainWindow();
    habitat.kernel.events.emit('app.focusAgent', { pid });
  };

  const feed = { url: process.env.HABITAT_UPDATE_URL, packaged: app.isPackaged };
  const updates = new UpdateController(electronUpdater.autoUpdater, feed, (state) =>
    habitat.kernel.events.emit('app.update', state),
  );

  const habitat = await createHabitat({
    dataDir: userData,
    mode: 'desktop',
    extraHandlers: (kernel) =>
      appHandlers(
        {
          detach: (pid) => {
            const open = agentWindows.get(pid);
            if (open && !open.isDestroyed()) return open.focus();
            const window = openWindow({ kind: 'agent', pid });
            agentWindows.set(pid, window);
            window.on('closed', () => agentWindows.delete(pid));
          },
          setTheme: (theme) => (nativeTheme.themeSource = theme),
          setShortcut: (accelerator) => {
            const result = registerShortcut(globalShortcut, shortcut, accelerator, showMainWindow);
            if (result.ok) shortcut = accelerator;
            return result;
          },
          updates,
          secrets,
        },
        (pid) => kernel.processes.get(pid).state !== 'dead',
      ),
  });
  const { kernel } = habitat;

  const origins = new Set(devServer ? [new URL(devServer).origin] : []);
  const transport = attachIpcTransport(habitat.bridge, {
    ipcMain,
    isTrustedFrame: (frame) => isAppMainFrame(frame, origins),
  });

  // Tray, notifications and the menu follow the kernel's events.
  const tray = new Tray(nativeImage.createFromPath(join(__dirname, '../renderer/tray.png')));
  const trayState = (): TrayState => {
    const live = kernel.processes.list({ states: ['created', 'running', 'sleeping', 'stopped'] });
    return {
      connected: true,
      agents: {
        total: live.length,
        running: live.filter((p) => p.state === 'running').length,
        stopped: live.filter((p) => p.state === 'stopped').length,
        waiting: live.filter((p) => p.phase === 'waiting' && p.goal !== null).length,
      },
    };
  };
  const signalAll = (from: 'running' | 'stopped', signal: 'STOP' | 'CONT'): void => {
    for (const p of kernel.processes.list({ states: [from] })) void kernel.processes.signal(p.pid, signal);
  };
  const refreshTray = (): void => {
    const state = trayState();
    tray.setToolTip(trayTooltip(state));
    tray.setContextMenu(
      Menu.buildFromTemplate(
        trayMenuTemplate(state, {
          openMissionControl: showMainWindow,
          pauseAll: () => signalAll('running', 'STOP'),
          resumeAll: () => signalAll('stopped', 'CONT'),
          quit: () => app.quit(),
        }),
      ),
    );
  };
  const notifier = new AgentNotifier(({ pid, title, body }) => {
    if (!Notification.isSupported()) return;
    const notification = new Notification({ title, body });
    notification.on('click', () => focusAgent(pid));
    notification.show();
  });
  let trayTimer: NodeJS.Timeout | undefined;
  kernel.events.on('process.*', (payload, topic) => {
    if (topic === 'process.changed') notifier.onProcess(payload as ProcessInfo);
    trayTimer ??= setTimeout(() => {
      trayTimer = undefined;
      refreshTray();
    }, 250);
  });
  refreshTray();

  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      applicationMenuTemplate(process.platform, {
        openMissionControl: showMainWindow,
        openSmartBar: () => {
          showMainWindow();
          kernel.events.emit('app.smartBar', {});
        },
        checkForUpdates: () => void updates.check(),
        openDocs: () => openExternal(DOCS_URL),
      }),
    ),
  );
  const registered = registerShortcut(globalShortcut, undefined, DEFAULT_SHORTCUT, showMainWindow);
  if (registered.ok) shortcut = DEFAULT_SHORTCUT;

  showMainWindow();
  if (app.isPackaged) void updates.check();

  app.on('second-instance', showMainWindow);
  app.on('activate', showMainWindow);
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => {
    globalShortcut.unregisterAll();
    transport.close();
    void habitat.close();
  });
}
