import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  app,
  BrowserWindow,
  dialog,
  globalShortcut,
  ipcMain,
  Menu,
  MessageChannelMain,
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
  utilityProcess,
  type UtilityProcess,
} from 'electron';
import electronUpdater from 'electron-updater';
import { ClientCore } from '../shared/client/index.js';
import { events, type ProcessInfo } from '../shared/protocol/index.js';
import { attachIpcGate, isAppMainFrame } from './bridge/index.js';
import { answerAppCommand, KernelMessageSchema, type MainMessage } from './kernelProcess/index.js';
import {
  APP_ORIGIN,
  APP_SCHEME,
  AgentNotifier,
  appHandlers,
  BackgroundPolicy,
  applicationMenuTemplate,
  createAppProtocolHandler,
  createWindow,
  fitToDisplays,
  followProcessesForTray,
  hardenWebContents,
  loadWindowState,
  openAllowedExternal,
  saveWindowState,
  SecretStore,
  ShortcutSetting,
  trayMenuTemplate,
  trayTooltip,
  UpdateController,
  windowUrl,
  type TrayState,
  type WindowKind,
} from './shell/index.js';

// The desktop app's main process: windows, menus, the tray and Electron's APIs, nothing else. The kernel, the runtime
// and the bridge run in a utility process (kernelHost.ts), so this thread never waits on them; renderers talk to
// the bridge over MessagePorts that main vets and hands over. Everything with logic is tested under plain Node.

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
  const settingsFile = join(userData, 'settings.json');

  protocol.handle(
    APP_SCHEME,
    createAppProtocolHandler(rendererDir, (file) => net.fetch(pathToFileURL(file).toString())),
  );
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);

  let mainWindow: BrowserWindow | undefined;
  const agentWindows = new Map<number, BrowserWindow>();
  let quitting = false;

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
      const window = openWindow({ kind: 'main' });
      mainWindow = window;
      window.on('close', () =>
        saveWindowState(stateFile, { bounds: window.getNormalBounds(), maximized: window.isMaximized() }),
      );
    }
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
  };

  // the global shortcut the person chose, saved across runs (registered once the kernel is up)
  const shortcut = new ShortcutSetting(globalShortcut, settingsFile, showMainWindow);

  // The kernel's process, restarted (and the windows reloaded onto it) if it dies.
  let kernel: UtilityProcess;
  let restarts = 0;
  const toKernel = (message: MainMessage, ports?: Electron.MessagePortMain[]): void =>
    kernel.postMessage(message, ports);
  const emit = (topic: Extract<MainMessage, { type: 'emit' }>['topic'], payload: unknown): void =>
    toKernel({ type: 'emit', topic, payload });

  const updates = new UpdateController(
    electronUpdater.autoUpdater,
    { url: process.env.HABITAT_UPDATE_URL, packaged: app.isPackaged },
    (state) => emit('app.update', state),
  );
  const secrets = new SecretStore(join(userData, 'secrets'), safeStorage);
  const sendProviderSettings = (): void => {
    const geminiApiKey = secrets.get('gemini.apiKey');
    toKernel({ type: 'providerSettings', ...(geminiApiKey ? { geminiApiKey } : {}) });
  };
  const client = new ClientCore(() => {
    throw new Error('the kernel is starting');
  });
  const desktop = appHandlers(
    {
      detach: (pid) => {
        const open = agentWindows.get(pid);
        if (open && !open.isDestroyed()) return open.focus();
        const window = openWindow({ kind: 'agent', pid });
        agentWindows.set(pid, window);
        window.on('closed', () => agentWindows.delete(pid));
      },
      setTheme: (theme) => (nativeTheme.themeSource = theme),
      setShortcut: (accelerator) => shortcut.set(accelerator),
      getShortcut: () => shortcut.current(),
      updates,
      secrets: {
        has: (name) => secrets.has(name),
        set: (name, value) => (secrets.set(name, value), sendProviderSettings()),
        delete: (name) => (secrets.delete(name), sendProviderSettings()),
      },
    },
    () => true, // the kernel process checked that the PID is a live agent before forwarding (appCommands.ts)
  );

  const startKernel = (): Promise<void> =>
    new Promise((resolve, reject) => {
      kernel = utilityProcess.fork(join(__dirname, 'kernelHost.js'), [], {
        serviceName: 'Habitat kernel',
        env: { ...process.env, HABITAT_DATA_DIR: userData },
        stdio: 'inherit',
      });
      kernel.on('message', (raw: unknown) => {
        const parsed = KernelMessageSchema.safeParse(raw);
        if (!parsed.success) return;
        const message = parsed.data;
        if (message.type === 'ready') {
          const { port1, port2 } = new MessageChannelMain();
          toKernel({ type: 'connect' }, [port2]);
          client.setSender((m) => port1.postMessage(m));
          port1.on('message', (event) => client.receive(event.data));
          port1.start();
          client.setState('open');
          sendProviderSettings();
          resolve();
        } else if (message.type === 'failed') {
          reject(new Error(message.message));
        } else {
          void answerAppCommand(desktop, message, toKernel);
        }
      });
      kernel.once('exit', (code) => {
        client.setState('reconnecting');
        if (quitting) return;
        if (restarts++ >= 3) {
          dialog.showErrorBox(
            'Habitat',
            `The kernel stopped (exit code ${code}) and could not be restarted.`,
          );
          app.quit();
          return;
        }
        void startKernel().then(() => {
          for (const window of BrowserWindow.getAllWindows()) window.webContents.reload();
        }, reject);
      });
    });

  attachIpcGate({
    ipcMain,
    isTrustedFrame: (frame) => isAppMainFrame(frame, new Set(devServer ? [new URL(devServer).origin] : [])),
    accept: (port) => toKernel({ type: 'connect' }, [port]),
  });
  try {
    await startKernel();
  } catch (error) {
    dialog.showErrorBox('Habitat', `The kernel could not start: ${(error as Error).message}`);
    app.quit();
    return;
  }

  // The tray and notifications follow the kernel's events through main's own bridge session.
  const tray = new Tray(nativeImage.createFromPath(join(__dirname, '../renderer/tray.png')));
  const focusAgent = (pid: number): void => {
    const detached = agentWindows.get(pid);
    if (detached && !detached.isDestroyed()) return detached.focus();
    showMainWindow();
    emit('app.focusAgent', { pid });
  };
  const notifier = new AgentNotifier(({ pid, title, body }) => {
    if (!Notification.isSupported()) return;
    const notification = new Notification({ title, body });
    notification.on('click', () => focusAgent(pid));
    notification.show();
  });
  const signalAll = async (from: 'running' | 'stopped', signal: 'STOP' | 'CONT'): Promise<void> => {
    const { processes } = await client.call('process.list', { states: [from] });
    await Promise.allSettled(processes.map((p) => client.call('process.signal', { pid: p.pid, signal })));
  };
  let liveAgents = 0; // as the tray last counted them
  const listLive = async (timeoutMs?: number): Promise<ProcessInfo[]> =>
    (
      await client.call(
        'process.list',
        { states: ['created', 'running', 'sleeping', 'stopped'] },
        timeoutMs ? { timeoutMs } : {},
      )
    ).processes;
  const refreshTray = async (): Promise<void> => {
    const live = await listLive();
    liveAgents = live.length;
    const state: TrayState = {
      connected: client.getConnectionState() === 'open',
      agents: {
        total: live.length,
        running: live.filter((p) => p.state === 'running').length,
        stopped: live.filter((p) => p.state === 'stopped').length,
        waiting: live.filter((p) => p.phase === 'waiting' && p.goal !== null).length,
      },
    };
    tray.setToolTip(trayTooltip(state));
    tray.setContextMenu(
      Menu.buildFromTemplate(
        trayMenuTemplate(state, {
          openMissionControl: showMainWindow,
          pauseAll: () => void signalAll('running', 'STOP'),
          resumeAll: () => void signalAll('stopped', 'CONT'),
          quit: () => app.quit(),
        }),
      ),
    );
  };
  client.subscribe('agent.approval', (payload) => {
    const parsed = events['agent.approval'].payload.safeParse(payload);
    if (parsed.success) notifier.onApproval(parsed.data);
  });
  followProcessesForTray(client, {
    refresh: () => void refreshTray().catch(() => undefined),
    onChanged: (payload) => notifier.onProcess(payload as ProcessInfo),
  });
  void refreshTray().catch(() => undefined);

  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      applicationMenuTemplate(process.platform, {
        openMissionControl: showMainWindow,
        openSmartBar: () => {
          showMainWindow();
          emit('app.smartBar', {});
        },
        checkForUpdates: () => void updates.check(),
        openDocs: () => openExternal(DOCS_URL),
      }),
    ),
  );
  shortcut.restore();

  showMainWindow();
  if (app.isPackaged) void updates.check();

  app.on('second-instance', showMainWindow);
  app.on('activate', showMainWindow);
  // closing the last window quits only when no agent is alive: otherwise the app stays in the tray (lifecycle.ts)
  const background = new BackgroundPolicy();
  app.on('window-all-closed', () => {
    if (quitting) return;
    void listLive(3000)
      .then(
        (live) => live.length,
        () => liveAgents,
      )
      .then((live) => {
        if (BrowserWindow.getAllWindows().length > 0) return; // a window came back meanwhile
        const step = background.onAllWindowsClosed(process.platform, live);
        if (step.action === 'quit') return app.quit();
        if (!step.notice || !Notification.isSupported()) return;
        const notice = new Notification(step.notice);
        notice.on('click', showMainWindow);
        notice.show();
      });
  });
  app.on('before-quit', (event) => {
    if (quitting) return;
    // the kernel closes its store and ends its agents' sandboxes before the app goes
    quitting = true;
    event.preventDefault();
    globalShortcut.unregisterAll();
    const done = new Promise((resolve) => kernel.once('exit', resolve));
    toKernel({ type: 'shutdown' });
    void Promise.race([done, new Promise((resolve) => setTimeout(resolve, 10_000))]).then(() => app.quit());
  });
}
