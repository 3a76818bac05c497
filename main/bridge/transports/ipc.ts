import type { IpcMainEvent, MessagePortMain, WebFrameMain } from 'electron';
import type { Bridge } from '../Bridge.js';

/** The channel on which a renderer hands main the port of a new bridge session. */
export const IPC_CONNECT_CHANNEL = 'habitat:connect';

/** The subset of electron's ipcMain this transport uses, so tests can stand in for it. */
export interface IpcMainLike {
  on(channel: string, listener: (event: IpcMainEvent, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: IpcMainEvent, ...args: unknown[]) => void): unknown;
}

export interface IpcTransportOptions {
  ipcMain: IpcMainLike;
  /** Only the app's own main frame may talk to the bridge (VS Code's rule): origin checked, subframes refused. */
  isTrustedFrame(frame: WebFrameMain | null): boolean;
}

export interface IpcTransport {
  sessionCount(): number;
  close(): void;
}

/**
 * Electron IPC transport: the renderer (through preload) posts a MessagePort on habitat:connect; the whole session,
 * calls and events, then flows over that port, never one ipc message per stream chunk.
 */
export function attachIpcTransport(bridge: Bridge, options: IpcTransportOptions): IpcTransport {
  const ports = new Set<MessagePortMain>();
  const onConnect = (event: IpcMainEvent): void => {
    const port = event.ports[0];
    if (!port) return;
    if (!options.isTrustedFrame(event.senderFrame)) {
      port.close();
      return;
    }
    ports.add(port);
    const session = bridge.openSession({ send: (message) => port.postMessage(message) }, 'ipc');
    port.on('message', (message) => session.handle(message.data));
    port.on('close', () => {
      ports.delete(port);
      session.close();
    });
    port.start();
  };
  options.ipcMain.on(IPC_CONNECT_CHANNEL, onConnect);
  return {
    sessionCount: () => ports.size,
    close: () => {
      options.ipcMain.removeListener(IPC_CONNECT_CHANNEL, onConnect);
      for (const port of ports) port.close();
      ports.clear();
    },
  };
}

/** The default frame check: the main frame, served from our app:// origin (or the dev server in development). */
export function isAppMainFrame(frame: WebFrameMain | null, allowedOrigins: ReadonlySet<string>): boolean {
  if (!frame || frame.parent !== null) return false;
  try {
    return allowedOrigins.has(new URL(frame.url).origin) || frame.url.startsWith('app://habitat/');
  } catch {
    return false;
  }
}
