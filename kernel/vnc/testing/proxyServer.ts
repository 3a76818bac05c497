import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { VncProxy, type VncProxyOptions } from '../VncProxy.js';

export interface ProxyServer {
  proxy: VncProxy;
  server: Server;
  port: number;
  origin: string;
  /** ws://127.0.0.1:<port>/vnc/<agent> */
  url(agent: number): string;
  close(): Promise<void>;
}

/** A loopback HTTP server with only the VNC proxy attached, configured the way the headless host configures it. */
export async function startProxyServer(options: Partial<VncProxyOptions> = {}): Promise<ProxyServer> {
  const server = createServer((_request, response) => response.writeHead(404).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  const proxy = new VncProxy({
    allowedOrigins: new Set([origin]),
    allowedHosts: new Set([`127.0.0.1:${port}`, `localhost:${port}`]),
    ...options,
  });
  const detach = proxy.attach(server);
  // Stands in for the bridge, which shares the server: it answers every upgrade that is not for the proxy.
  const other = (request: IncomingMessage, socket: Duplex): void => {
    if (!request.url?.startsWith('/vnc/'))
      socket.end('HTTP/1.1 418 Other Listener\r\nConnection: close\r\n\r\n');
  };
  server.on('upgrade', other);
  return {
    proxy,
    server,
    port,
    origin,
    url: (agent) => `ws://127.0.0.1:${port}/vnc/${agent}`,
    close: async () => {
      detach();
      server.off('upgrade', other);
      await proxy.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
