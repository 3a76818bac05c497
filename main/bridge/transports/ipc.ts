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

/** The part of MessagePortMain a session needs (the utility process's ports are the same kind). */
export type SessionPort = Pick<MessagePortMain, 'postMessage' | 'on' | 'start' | 'close'>;

/**
 * One bridge session over a MessagePort: calls and events flow over the port, never one ipc message per stream
 * chunk. Used in main, or in the kernel's utility process after main has vetted the port's sender.
 */
export function servePort(bridge: Bridge, port: SessionPort, onClose?: () => void): void {
  const session = bridge.openSession({ send: (message) => port.postMessage(message) }, 'ipc');
  port.on('message', (message) => session.handle(message.data));
  port.on('close', () => {
    session.close();
    onClose?.();
  });
  port.start();
}

/**
 * The gate: a renderer (through preload) posts a MessagePort on habitat:connect; ports from anything but the app's
 * own main frame are closed, the others handed to `accept` (a session here, or the kernel's utility process).
 */
export function attachIpcGate(
  options: IpcTransportOptions & { accept(port: MessagePortMain): void },
): () => void {
  const onConnect = (event: IpcMainEvent): void => {
    const port = event.ports[0];
    if (!port) return;
    if (!options.isTrustedFrame(event.senderFrame)) {
      port.close();
      return;
    }
    options.accept(port);
  };
  options.ipcMain.on(IPC_CONNECT_CHANNEL, onConnect);
  return () => options.ipcMain.removeListener(IPC_CONNECT_CHANNEL, onConnect);
}

/** The gate with sessions in this process (the bridge and the kernel in main). */
export function attachIpcTransport(bridge: Bridge, options: IpcTransportOptions): IpcTransport {
  const ports = new Set<MessagePortMain>();
  const detach = attachIpcGate({
    ...options,
    accept: (port) => {
      ports.add(port);
      servePort(bridge, port, () => ports.delete(port));
    },
  });
  return {
    sessionCount: () => ports.size,
    close: () => {
      detach();
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
