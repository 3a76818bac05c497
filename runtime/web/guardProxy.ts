import { lookup } from 'node:dns/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, isIP, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AddressPolicy } from './address.js';

/** The header a refused plain-HTTP request is answered with (status 451), naming what was refused. */
export const BLOCKED_HEADER = 'x-habitat-blocked';
const IDLE_MS = 60_000;
const PROXY_HEADERS = ['proxy-connection', 'proxy-authorization', 'proxy-authenticate'];
const HOP_BY_HOP = ['connection', 'keep-alive', ...PROXY_HEADERS];

class Blocked extends Error {}

/**
 * The only way out for the kernel's Chromium: an HTTP proxy on loopback that resolves every host itself and
 * connects to the very address it checked against the policy. Every request, redirect hop, subresource, CONNECT
 * tunnel (https, wss) and WebSocket goes through it, so a page cannot lead the browser into the host's own network,
 * and a name that resolves to something else a moment later (DNS rebinding) gains nothing.
 */
export class GuardProxy {
  /** Hosts (host:port) it refused lately, newest last. */
  readonly refused: string[] = [];
  private readonly sockets = new Set<Duplex>();

  private constructor(
    private readonly server: Server,
    private readonly allowed: AddressPolicy,
  ) {}

  static async start(allowed: AddressPolicy): Promise<GuardProxy> {
    const server = createServer();
    const proxy = new GuardProxy(server, allowed);
    server.on('request', (req, res) => void proxy.forward(req, res));
    server.on(
      'connect',
      (req: IncomingMessage, socket: Socket, head: Buffer) => void proxy.tunnel(req, socket, head),
    );
    server.on(
      'upgrade',
      (req: IncomingMessage, socket: Socket, head: Buffer) => void proxy.upgrade(req, socket, head),
    );
    server.on('connection', (socket: Socket) => proxy.track(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The address to connect to for a host: every address it has must be allowed (no picking the good one). */
  private async resolve(host: string, port: number): Promise<string> {
    const bare = host.replace(/^\[|\]$/g, '');
    const addresses = isIP(bare)
      ? [bare]
      : (await lookup(bare, { all: true, verbatim: true })).map((a) => a.address);
    if (addresses.length === 0 || addresses.some((address) => !this.allowed(address))) {
      this.refused.push(`${host}:${port}`);
      if (this.refused.length > 50) this.refused.shift();
      throw new Blocked(`${host} is a local or private address`);
    }
    return addresses[0]!;
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
      if (target.protocol !== 'http:') throw new Error('not http');
    } catch {
      res.writeHead(400).end('an absolute http URL is needed');
      return;
    }
    const port = Number(target.port || 80);
    let address: string;
    try {
      address = await this.resolve(target.hostname, port);
    } catch (error) {
      const blocked = error instanceof Blocked;
      res
        .writeHead(blocked ? 451 : 502, {
          'content-type': 'text/plain',
          ...(blocked ? { [BLOCKED_HEADER]: target.host } : {}),
        })
        .end(blocked ? 'refused: a local or private address' : `cannot resolve ${target.hostname}`);
      return;
    }
    const headers = { ...req.headers };
    for (const name of HOP_BY_HOP) delete headers[name];
    const upstream = request(
      {
        host: address,
        port,
        method: req.method,
        path: `${target.pathname}${target.search}`,
        headers,
        setHost: false,
      },
      (reply) => {
        const replyHeaders = { ...reply.headers };
        for (const name of HOP_BY_HOP) delete replyHeaders[name];
        res.writeHead(reply.statusCode ?? 502, replyHeaders);
        reply.pipe(res);
      },
    );
    upstream.setTimeout(IDLE_MS, () => upstream.destroy());
    upstream.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502).end('upstream failed')));
    req.pipe(upstream);
  }

  private async tunnel(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(req.url ?? '');
    if (!match) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const port = Number(match[2]);
    let address: string;
    try {
      address = await this.resolve(match[1]!, port);
    } catch (error) {
      const status = error instanceof Blocked ? '403 Forbidden' : '502 Bad Gateway';
      socket.end(`HTTP/1.1 ${status}\r\n\r\n`);
      return;
    }
    this.splice(socket, address, port, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      return head;
    });
  }

  /** A plain ws:// upgrade sent to the proxy: the request is replayed to the checked address, then spliced. */
  private async upgrade(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      socket.destroy();
      return;
    }
    const port = Number(target.port || 80);
    let address: string;
    try {
      address = await this.resolve(target.hostname, port);
    } catch {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    this.splice(socket, address, port, (upstream) => {
      const lines = [`${req.method} ${target.pathname}${target.search} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        if (!PROXY_HEADERS.includes(req.rawHeaders[i]!.toLowerCase()))
          lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      return head;
    });
  }

  private splice(socket: Socket, address: string, port: number, opened: (upstream: Socket) => Buffer): void {
    const upstream = connect(port, address, () => {
      const head = opened(upstream);
      if (head.length) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    this.track(upstream);
    upstream.setTimeout(IDLE_MS, () => upstream.destroy());
    const end = () => {
      upstream.destroy();
      socket.destroy();
    };
    upstream.on('error', end);
    socket.on('error', end);
    upstream.on('close', end);
    socket.on('close', end);
  }

  private track(socket: Duplex): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }
}
