import type { IncomingMessage, Server } from 'node:http';
import { connect, isIPv4, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { VNC_CLOSE_CODES, VNC_SUBPROTOCOL, VNC_TOKEN_PREFIX } from './closeCodes.js';
import { DisplayReads } from './displayReads.js';
import { ProxySession, type VncSessionStats, type Watermarks } from './ProxySession.js';
import { VncTokens, type IssuedToken, type VncGrant, type VncTokensOptions } from './tokens.js';

export interface VncProxyOptions {
  /** URL path prefix; a viewer connects to `${path}/<agent>` (default /vnc). */
  path?: string;
  /** Origins a browser may connect from (the host's own). A request without Origin (a CLI, a test) is allowed. */
  allowedOrigins: ReadonlySet<string>;
  /** Host header values (host:port) the host answers to; any other is refused (DNS rebinding). Unset: not checked. */
  allowedHosts?: ReadonlySet<string>;
  /** Refuse peers that are not on loopback (default true): the displays carry no password of their own. */
  loopbackOnly?: boolean;
  tokens?: VncTokens | VncTokensOptions;
  /** Queued bytes for a client above which the display is no longer read (default 2 MiB), and where it resumes. */
  highWatermarkBytes?: number;
  lowWatermarkBytes?: number;
  /** Largest frame a client may send (default 4 MiB: a clipboard paste); larger closes with 1009. */
  maxClientMessageBytes?: number;
  connectTimeoutMs?: number;
}

type Check = { ok: true; grant: VncGrant } | { ok: false; code: number; reason: string };

/**
 * The WebSocket-to-VNC proxy: a viewer presents a single-use token, and the token alone decides which display socket
 * it reaches and whether its input passes. Attach it to the host's HTTP server beside the bridge.
 */
export class VncProxy {
  readonly tokens: VncTokens;
  private readonly path: string;
  private readonly wss: WebSocketServer;
  private readonly marks: Watermarks;
  private readonly live = new Set<ProxySession>();
  private nextId = 1;
  private closing = false;

  constructor(private readonly options: VncProxyOptions) {
    this.path = (options.path ?? '/vnc').replace(/\/+$/, '');
    this.tokens = options.tokens instanceof VncTokens ? options.tokens : new VncTokens(options.tokens);
    const high = options.highWatermarkBytes ?? 2 * 1024 * 1024;
    this.marks = { high, low: options.lowWatermarkBytes ?? Math.floor(high / 4) };
    this.wss = new WebSocketServer({
      noServer: true,
      perMessageDeflate: false, // framebuffer encodings are compressed already; deflate would only cost CPU
      maxPayload: options.maxClientMessageBytes ?? 4 * 1024 * 1024,
      handleProtocols: (offered) => (offered.has(VNC_SUBPROTOCOL) ? VNC_SUBPROTOCOL : false),
    });
  }

  /** Listens for upgrades on the server; returns the detach function. Other paths are left to other listeners. */
  attach(server: Server): () => void {
    const listener = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
      this.handleUpgrade(request, socket, head);
    };
    server.on('upgrade', listener);
    return () => server.off('upgrade', listener);
  }

  issue(grant: VncGrant, ttlMs?: number): IssuedToken {
    return this.tokens.issue(grant, ttlMs);
  }

  /** Handles an upgrade if it is for this proxy's path (returns false otherwise, leaving the socket untouched). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (!pathname.startsWith(`${this.path}/`)) return false;
    const agentText = pathname.slice(this.path.length + 1);
    if (this.closing || !/^[1-9]\d{0,14}$/.test(agentText)) {
      refuseUpgrade(socket, 404, 'Not Found');
      return true;
    }
    if (this.options.allowedHosts && !this.options.allowedHosts.has(request.headers.host ?? '')) {
      refuseUpgrade(socket, 421, 'Misdirected Request');
      return true;
    }
    if (!offeredProtocols(request).includes(VNC_SUBPROTOCOL)) {
      refuseUpgrade(socket, 400, `the ${VNC_SUBPROTOCOL} subprotocol is required`);
      return true;
    }
    const check = this.check(request, Number(agentText));
    if (!check.ok) this.upgradeAndClose(request, socket, head, check.code, check.reason);
    else this.connectUpstream(request, socket, head, check.grant);
    return true;
  }

  /** Ends an agent's sessions and forgets its tokens (its display stopped, or control was handed back). */
  disconnect(
    agent: number,
    code: number = VNC_CLOSE_CODES.displayGone,
    reason = 'display stopped',
    mode?: VncGrant['mode'],
  ): number {
    this.tokens.revoke(agent, mode); // all of them, or (handing back) the control ones not yet used
    let closed = 0;
    for (const session of this.live) {
      if (session.grant.agent !== agent || (mode !== undefined && session.grant.mode !== mode)) continue;
      session.close(code, reason);
      closed++;
    }
    return closed;
  }

  sessions(): VncSessionStats[] {
    return [...this.live].map((s) => s.stats());
  }

  async close(): Promise<void> {
    this.closing = true;
    const sockets = [...this.wss.clients]; // sessions, and sockets upgraded only to carry a refusal
    for (const session of this.live) session.close(VNC_CLOSE_CODES.goingAway, 'host shutting down');
    // A client that never answers the closing handshake must not hold the shutdown.
    const graceful = Promise.all(sockets.map((ws) => new Promise((resolve) => ws.once('close', resolve))));
    await Promise.race([graceful, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private check(request: IncomingMessage, agent: number): Check {
    if ((this.options.loopbackOnly ?? true) && !isLoopback(request.socket.remoteAddress)) {
      return { ok: false, code: VNC_CLOSE_CODES.foreignOrigin, reason: 'not a loopback peer' };
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !this.options.allowedOrigins.has(origin)) {
      return { ok: false, code: VNC_CLOSE_CODES.foreignOrigin, reason: 'foreign origin' };
    }
    const redeemed = this.tokens.redeem(presentedToken(request));
    if (!redeemed.ok)
      return { ok: false, code: VNC_CLOSE_CODES.badToken, reason: `token ${redeemed.reason}` };
    if (redeemed.grant.agent !== agent) {
      return { ok: false, code: VNC_CLOSE_CODES.badToken, reason: 'token is for another agent' };
    }
    return { ok: true, grant: redeemed.grant };
  }

  // The display is reached before the upgrade completes, so a viewer's first frame can never race the connection.
  private connectUpstream(request: IncomingMessage, socket: Duplex, head: Buffer, grant: VncGrant): void {
    const reads = new DisplayReads();
    const upstream = connect({ path: grant.socketPath, onread: reads.options });
    upstream.pause(); // nothing is read until the session exists to take it
    const timer = setTimeout(
      () => upstream.destroy(Object.assign(new Error('connect timed out'), { code: 'ETIMEDOUT' })),
      this.options.connectTimeoutMs ?? 5_000,
    );
    const abandon = (): void => {
      clearTimeout(timer);
      upstream.destroy();
    };
    socket.once('close', abandon);
    upstream.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.off('close', abandon);
      const gone = error.code === 'ENOENT' || error.code === 'ECONNREFUSED';
      this.upgradeAndClose(
        request,
        socket,
        head,
        gone ? VNC_CLOSE_CODES.displayGone : VNC_CLOSE_CODES.upstreamError,
        gone ? 'display is not running' : `display socket: ${error.message}`,
      );
    });
    upstream.once('connect', () => {
      clearTimeout(timer);
      socket.off('close', abandon);
      upstream.removeAllListeners('error');
      if (socket.destroyed || this.closing) {
        upstream.destroy();
        socket.destroy(); // never left unanswered: it would hold the host's server open
        return;
      }
      this.wss.handleUpgrade(request, socket, head, (ws) => this.open(ws, upstream, reads, grant));
    });
  }

  private open(ws: WebSocket, upstream: Socket, reads: DisplayReads, grant: VncGrant): void {
    const session = new ProxySession(this.nextId++, grant, ws, upstream, reads, this.marks, (s) =>
      this.live.delete(s),
    );
    this.live.add(session);
  }

  private upgradeAndClose(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    code: number,
    reason: string,
  ): void {
    if (socket.destroyed) return;
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      ws.close(code, reason);
      setTimeout(() => ws.terminate(), 2_000).unref(); // a client that never answers the close
    });
  }
}

function offeredProtocols(request: IncomingMessage): string[] {
  const header = request.headers['sec-websocket-protocol'];
  return typeof header === 'string' ? header.split(',').map((p) => p.trim()) : [];
}

function presentedToken(request: IncomingMessage): string | undefined {
  const entry = offeredProtocols(request).find((p) => p.startsWith(VNC_TOKEN_PREFIX));
  return entry?.slice(VNC_TOKEN_PREFIX.length);
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || (isIPv4(v4) && v4.startsWith('127.'));
}

/** Answers an HTTP upgrade with a plain status and closes the socket (every upgrade must get an answer). */
export function refuseUpgrade(socket: Duplex, status: number, reason: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`,
  );
}
