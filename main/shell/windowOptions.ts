import type { BrowserWindowConstructorOptions, WebContents } from 'electron';
import { APP_ORIGIN } from './appProtocol.js';
import type { WindowState } from './windowState.js';

export type WindowKind = { kind: 'main' } | { kind: 'agent'; pid: number };

/**
 * The one place windows are made: every window of the app is locked down the same way. The options are written out
 * at the constructor call so that a security scanner (electronegativity) can read them.
 */
export function createWindow<W>(
  BrowserWindow: new (options: BrowserWindowConstructorOptions) => W,
  what: WindowKind,
  options: { preload: string; state?: WindowState; dark: boolean },
): W {
  const bounds =
    options.state?.bounds ??
    (what.kind === 'main' ? { width: 1400, height: 900 } : { width: 1000, height: 700 });
  return new BrowserWindow({
    ...bounds,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: what.kind === 'main' ? 'Habitat' : `Habitat: agent ${what.pid}`,
    backgroundColor: options.dark ? '#111318' : '#f5f6f8',
    webPreferences: {
      preload: options.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      // middle-click would otherwise open links in a new window behind the window-open handler's back
      disableBlinkFeatures: 'Auxclick',
    },
  });
}

/** Where a window of the given kind loads the renderer. */
export function windowUrl(what: WindowKind, devServer?: string): string {
  const base = devServer ?? `${APP_ORIGIN}/index.html`;
  return what.kind === 'main' ? base : `${base}#agent=${what.pid}`;
}

/**
 * Navigation and new windows are denied; a link to an allow-listed https site opens in the user's browser instead.
 * Webviews cannot be attached. `isAppUrl` says which URLs are the app's own (a reload may navigate there).
 */
export function hardenWebContents(
  contents: Pick<WebContents, 'setWindowOpenHandler' | 'on'>,
  policy: {
    isAppUrl(url: string): boolean;
    /** Opens an allow-listed link in the user's browser; refuses (false) anything else. */
    openExternal(url: string): boolean;
  },
): void {
  contents.setWindowOpenHandler(({ url }) => {
    policy.openExternal(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (!policy.isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!policy.isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}
