import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { WebSocketClient } from '../../shared/client/index.js';
import { hostNodeFlags } from '../../scripts/launch.mjs';
import { startServe } from '../../test/servedHost.js';

export interface ServedHost {
  /** The address `habitat serve` printed, token included: what a person opens in a browser. */
  url: string;
  client: WebSocketClient;
  /** A second connection, for measuring one stream while another floods. */
  connect(): Promise<WebSocketClient>;
  close(): Promise<void>;
}

/**
 * A headless host in its own process, started the way users start it (the built CLI, with the flags of npm run serve), so the kernel and the client
 * do not share an event loop: what a person sees when a UI is watching.
 */
export async function startServedHost(): Promise<ServedHost> {
  const dataDir = await mkdtemp(join(tmpdir(), 'habitat-bench-'));
  // (a benchmark's progress goes to stderr: so does the host's)
  const bin = join(import.meta.dirname, '..', '..', 'bin', 'habitat.mjs');
  // with the Node flags npm start and npm run serve give a kernel host on this machine
  const { child, info } = await startServe([...hostNodeFlags(), bin], dataDir, 'inherit');
  const { wsUrl, token } = info;
  const connect = (): Promise<WebSocketClient> =>
    WebSocketClient.connect({
      url: wsUrl,
      token,
      factory: (url, protocols) => new WebSocket(url, protocols, { perMessageDeflate: false }) as never,
    });
  const client = await connect();
  return {
    url: info.url,
    client,
    connect,
    close: async () => {
      client.close();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Attaches to a terminal, acknowledging output as it arrives (a consumer that renders instantly), in the units it
 * came in (bytes over WebSocket): at once from
 * 16 KiB on, the rest at the end of the turn. Every character is acknowledged sooner or later, as the kernel's flow
 * control requires: one that held back a remainder below its threshold could leave the program paused for good.
 */
export async function attachTerminal(
  client: WebSocketClient,
  terminal: number,
  onData: (data: string | Uint8Array) => void,
): Promise<() => void> {
  let unacked = 0;
  let pending: NodeJS.Immediate | undefined;
  const ack = (): void => {
    clearImmediate(pending);
    pending = undefined;
    if (unacked > 0) void client.call('pty.ack', { terminal, chars: unacked }).catch(() => {});
    unacked = 0;
  };
  const off = client.subscribe(`pty.data.${terminal}`, (payload) => {
    const { data } = payload as { data: string | Uint8Array };
    onData(data);
    unacked += data.length;
    if (unacked >= 16_384) ack();
    else pending ??= setImmediate(ack);
  });
  await client.call('pty.attach', { terminal });
  return () => {
    clearImmediate(pending);
    off();
  };
}
