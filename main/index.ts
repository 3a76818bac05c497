import { join } from 'node:path';
import { app, BrowserWindow, ipcMain, net, protocol, session } from 'electron';
import { attachIpcTransport, isAppMainFrame } from './bridge/index.js';
import { createHabitat } from './habitat.js';
import { resolveStaticPath } from './host/static.js';

// The desktop app's composition root. Everything below electron lives in kernel/, runtime/ and main/bridge, and is
// tested under plain Node; this file only wires it to Electron.

protocol.registerSchemesAsPrivileged([
  { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

if (!app.requestSingleInstanceLock()) app.quit();

const rendererDir = join(__dirname, '../renderer');
const devServer = process.env.ELECTRON_RENDERER_URL;

async function main(): Promise<void> {
  await app.whenReady();
  const habitat = await createHabitat({ dataDir: app.getPath('userData'), mode: 'desktop' });

  protocol.handle('app', (request) => {
    const file = resolveStaticPath(rendererDir, new URL(request.url).pathname);
    if (!file) return new Response('Not found', { status: 404 });
    return net.fetch(`file://${file}`);
  });

  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));

  const origins = new Set(devServer ? [new URL(devServer).origin] : []);
  const transport = attachIpcTransport(habitat.bridge, {
    ipcMain,
    isTrustedFrame: (frame) => isAppMainFrame(frame, origins),
  });

  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    show: false,
    title: 'Habitat',
    webPreferences: {
      preload: join(__dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.once('ready-to-show', () => window.show());
  await window.loadURL(devServer ?? 'app://habitat/index.html');

  app.on('second-instance', () => {
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => {
    transport.close();
    void habitat.close();
  });
}

void main();
