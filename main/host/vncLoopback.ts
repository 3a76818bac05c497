import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { refuseUpgrade, VncProxy, type Kernel } from '../../kernel/index.js';

export interface VncLoopback {
  /** ws://127.0.0.1:PORT: tickets from vnc.open carry it. */
  readonly baseUrl: string;
  readonly proxy: VncProxy;
  close(): Promise<void>;
}

/**
 * The displays' proxy on a loopback port of its own, for hosts that have no HTTP server to share (the desktop app,
 * whose pages come from app:// and whose bridge is a MessagePort). It answers nothing but /vnc/<pid> upgrades from
 * the given origins, with the same single-use tokens as `habitat serve`.
 */
export async function startVncLoopback(
  kernel: Kernel,
  allowedOrigins: Iterable<string>,
): Promise<VncLoopback> {
  const server = createServer((_request, response) => {
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not Found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const proxy = new VncProxy({
    allowedOrigins: new Set(allowedOrigins),
    allowedHosts: new Set([`127.0.0.1:${port}`]),
    tokens: kernel.displays.tokens,
  });
  const baseUrl = `ws://127.0.0.1:${port}`;
  const detach = kernel.displays.attachProxy(proxy, baseUrl);
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (!proxy.handleUpgrade(request, socket, head)) refuseUpgrade(socket, 404, 'Not Found');
  };
  server.on('upgrade', onUpgrade);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      detach();
      server.off('upgrade', onUpgrade);
      await proxy.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    })());
  return { baseUrl, proxy, close };
}
