import { appEvents, HabitatError } from '../../shared/protocol/index.js';
import type { Habitat } from '../habitat.js';
import { servePort, type SessionPort } from '../bridge/index.js';
import { startVncLoopback, type VncLoopback } from '../host/vncLoopback.js';
import { APP_ORIGIN } from '../shell/appProtocol.js';
import { forwardAppCommands } from './appCommands.js';
import { MainMessageSchema, type KernelMessage } from './messages.js';

/** The kernel process's side of its port to main (Electron's process.parentPort, or a test's MessagePort). */
export interface ParentPortLike {
  postMessage(message: KernelMessage): void;
  on(event: 'message', listener: (event: { data: unknown; ports: SessionPort[] }) => void): unknown;
}

/**
 * Runs in the kernel's utility process: the kernel, the runtime and the bridge live here, so the app's main process
 * (windows, menus, the tray) never waits on them. Main hands over vetted renderer ports (connect), forwards app.*
 * events (emit), and answers the app.* commands this side forwards to it.
 */
export async function hostKernel(
  parent: ParentPortLike,
  open: (appHandlers: ReturnType<typeof forwardAppCommands>['handlers']) => Promise<Habitat>,
  exit: (code: number) => void = (code) => process.exit(code),
  onProviderSettings: (settings: { geminiApiKey?: string }) => void = () => undefined,
): Promise<Habitat> {
  let habitat: Habitat | undefined;
  // app.* commands reach these handlers only once the habitat is open (they are its bridge's)
  const forwarder = forwardAppCommands((message) => parent.postMessage(message), {
    process: (pid) => {
      try {
        return habitat?.kernel.processes.get(pid);
      } catch (error) {
        if (error instanceof HabitatError && error.code === 'E_NOT_FOUND') return undefined;
        throw error;
      }
    },
  });
  try {
    habitat = await open(forwarder.handlers);
  } catch (error) {
    parent.postMessage({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    throw error;
  }
  // the app's pages come from app://, so graphical agents' displays are served on a loopback port of their own
  let vnc: VncLoopback | undefined;
  try {
    vnc = await startVncLoopback(habitat.kernel, [APP_ORIGIN]);
  } catch (error) {
    habitat.kernel.store.appendEvent(null, 'vnc.proxy.failed', { error: String(error) });
  }
  parent.on('message', (event) => {
    const parsed = MainMessageSchema.safeParse(event.data);
    if (!parsed.success) return;
    const message = parsed.data;
    switch (message.type) {
      case 'connect': {
        const [port] = event.ports;
        if (port) servePort(habitat.bridge, port);
        return;
      }
      case 'emit': {
        const payload = appEvents[message.topic].payload.safeParse(message.payload);
        if (payload.success) habitat.kernel.events.emit(message.topic, payload.data as never);
        return;
      }
      case 'app.result':
        forwarder.settle(message);
        return;
      case 'providerSettings':
        onProviderSettings(message.geminiApiKey === undefined ? {} : { geminiApiKey: message.geminiApiKey });
        return;
      case 'shutdown':
        void Promise.resolve(vnc?.close())
          .then(() => habitat.close())
          .then(
            () => exit(0),
            () => exit(1),
          );
        return;
    }
  });
  parent.postMessage({ type: 'ready' });
  return habitat;
}
