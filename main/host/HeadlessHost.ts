import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Duplex } from 'node:stream';
import { dirname, join, resolve } from 'node:path';
import { refuseUpgrade, VncProxy, type EngineConfig } from '../../kernel/index.js';
import { fileURLToPath } from 'node:url';
import { attachWebSocketTransport, type WebSocketTransport } from '../bridge/index.js';
import { createHabitat, type Habitat } from '../habitat.js';
import { HABITAT_VERSION } from '../version.js';
import { removeHostFile, writeHostFile, type HostFile } from './hostFile.js';
import { bootData } from './bootData.js';
import { HabitatError } from '../../shared/protocol/index.js';
import { hostTokenProblem } from './token.js';
import { contentSecurityPolicy, serveStatic } from './static.js';

import { DEFAULT_PORT, LOOPBACK } from './defaults.js';

export { DEFAULT_PORT, LOOPBACK };

export interface HeadlessHostOptions {
  host?: string;
  port?: number;
  dataDir: string;
  /** Fixed token (HABITAT_TOKEN), refused with E_INVALID if weak (see token.ts); a random 256-bit one otherwise. */
  token?: string;
  rendererDir?: string;
  statsIntervalMs?: number;
  maxMessageBytes?: number;
  warmPool?: { size?: number; prefill?: string[] };
  dockerEngines?: EngineConfig[];
}

export interface HeadlessHost {
  habitat: Habitat;
  server: Server;
  transport: WebSocketTransport;
  /** Viewers of graphical agents' displays, at /vnc/<pid>, with tokens from vnc.open. */
  vnc: VncProxy;
  /** The URL to open, with the token, e.g. http://127.0.0.1:7420/?token=... */
  url: string;
  wsUrl: string;
  port: number;
  token: string;
  hostFile: string;
  close(): Promise<void>;
}

/** Finds out/renderer whether we run from out/main (built) or from main/host (sources, in tests). */
export function defaultRendererDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'out', 'renderer');
    dir = dirname(dir);
  }
  return resolve('out', 'renderer');
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return LOOPBACK;
  return host.includes(':') ? `[${host}]` : host;
}

/** The host:port pairs a browser may legitimately use to reach us: guards against DNS rebinding. */
function allowedAuthorities(bindHost: string, port: number): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]']);
  if (bindHost === '0.0.0.0' || bindHost === '::') {
    for (const list of Object.values(networkInterfaces())) {
      for (const address of list ?? [])
        names.add(address.family === 'IPv6' ? `[${address.address}]` : address.address);
    }
  } else {
    names.add(hostForUrl(bindHost));
  }
  return new Set([...names].map((name) => `${name}:${port}`));
}

export async function startHeadlessHost(options: HeadlessHostOptions): Promise<HeadlessHost> {
  const bindHost = options.host ?? LOOPBACK;
  // checked before anything starts: an empty or short token would hand every agent to whoever guesses it
  const problem = options.token === undefined ? undefined : hostTokenProblem(options.token);
  if (problem) throw new HabitatError('E_INVALID', problem);
  const token = options.token ?? randomBytes(32).toString('hex');
  const rendererDir = options.rendererDir ?? defaultRendererDir();
  const habitat = await createHabitat({
    dataDir: options.dataDir,
    mode: 'headless',
    statsIntervalMs: options.statsIntervalMs,
    warmPool: options.warmPool,
    dockerEngines: options.dockerEngines,
  });

  let authorities = new Set<string>();
  const server = createServer((request, response) => {
    const authority = request.headers.host ?? '';
    if (!authorities.has(authority)) {
      response.writeHead(421, { 'Content-Type': 'text/plain' }).end('Misdirected request\n');
      return;
    }
    // a plain GET of /bridge: is this token accepted? (what a browser whose socket failed cannot otherwise learn).
    // The transport exists here: authorities stays empty, every request 421, until the same tick that creates it.
    if (transport.handleRequest(request, response)) return;
    const csp = contentSecurityPolicy(`ws://${authority}`);
    bootData(habitat.bridge, request, token).then(
      (boot) => serveStatic(rendererDir, request, response, csp, boot),
      () => serveStatic(rendererDir, request, response, csp),
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? DEFAULT_PORT, bindHost, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
  } catch (error) {
    await habitat.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new Error(
        `port ${options.port ?? DEFAULT_PORT} is in use: is another Habitat host running? (try --port 0)`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  authorities = allowedAuthorities(bindHost, port);
  const allowedOrigins = new Set([...authorities].map((a) => `http://${a}`));
  const transport = attachWebSocketTransport(habitat.bridge, {
    server,
    path: '/bridge',
    token,
    allowedOrigins,
    maxMessageBytes: options.maxMessageBytes,
  });
  // The displays' proxy beside the bridge, under the same origin and Host checks; loopback peers only.
  const vnc = new VncProxy({
    allowedOrigins,
    allowedHosts: authorities,
    tokens: habitat.kernel.displays.tokens,
  });
  const detachVnc = habitat.kernel.displays.attachProxy(vnc);
  // Every upgrade gets an answer: one left unanswered would hold the socket, and server.close() with it, for good.
  let shuttingDown = false;
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (shuttingDown) return refuseUpgrade(socket, 503, 'Shutting down');
    if (new URL(request.url ?? '/', 'http://localhost').pathname === '/bridge') return; // the transport's
    if (!vnc.handleUpgrade(request, socket, head)) refuseUpgrade(socket, 404, 'Not Found');
  };
  server.on('upgrade', onUpgrade);

  const urlHost = `${hostForUrl(bindHost)}:${port}`;
  const info: HostFile = {
    url: `http://${urlHost}/?token=${token}`,
    wsUrl: `ws://${urlHost}/bridge`,
    host: bindHost,
    port,
    token,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    version: HABITAT_VERSION,
  };
  const hostFile = writeHostFile(habitat.kernel.layout.run, info);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      removeHostFile(habitat.kernel.layout.run);
      shuttingDown = true; // in the same tick as the transport's listener goes: /bridge is never left unanswered
      detachVnc();
      await Promise.all([transport.close(), vnc.close()]);
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      server.off('upgrade', onUpgrade);
      await habitat.close();
    })());

  return { habitat, server, transport, vnc, url: info.url, wsUrl: info.wsUrl, port, token, hostFile, close };
}
