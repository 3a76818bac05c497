import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import {
  BINARY_FRAME_HEADER_BYTES,
  BINARY_FRAME_KIND,
  binaryFrameTerminal,
  CLOSE_CODES,
  decodeAckFrame,
  WIRE_LIMITS,
  WS_SUBPROTOCOL,
  WS_TOKEN_PREFIX,
  type ServerMessage,
} from '../../../shared/protocol/index.js';
import type { Bridge } from '../Bridge.js';
import type { BridgeSession } from '../BridgeSession.js';

export interface WebSocketTransportOptions {
  server: Server;
  /** URL path of the bridge endpoint. */
  path?: string;
  token: string;
  /** Origins a browser may connect from (the host's own). A request without Origin (the CLI) is allowed. */
  allowedOrigins: ReadonlySet<string>;
  maxMessageBytes?: number;
  /** Above this many unsent bytes, events are dropped and reading from the client pauses. */
  highWatermarkBytes?: number;
  /** Above this, the client is disconnected (close code tooSlow): memory stays bounded whatever it does. */
  hardLimitBytes?: number;
}

export interface ConnectionStats {
  sessionId: number;
  bufferedAmount: number;
  droppedEvents: number;
  paused: boolean;
}

export interface WebSocketTransport {
  connections(): ConnectionStats[];
  /**
   * Answers a plain HTTP request for the bridge's path, and returns true; false for any other path. A browser never
   * sees why an upgrade was refused (only close code 1006), so a client whose connection failed asks here, with its
   * token in `Authorization: Bearer`, whether the token is the reason: 204 if it would be accepted, 401 if not. It
   * grants nothing and tells a foreign origin nothing (403), as the upgrade does.
   */
  handleRequest(request: IncomingMessage, response: ServerResponse): boolean;
  close(): Promise<void>;
}

/** Constant-time token comparison; hashing first makes the lengths equal without leaking the real one. */
export function tokensEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && presented.length === expected.length;
}

function presentedToken(request: IncomingMessage): string | undefined {
  const header = request.headers['sec-websocket-protocol'];
  if (typeof header === 'string') {
    for (const entry of header.split(',')) {
      const value = entry.trim();
      if (value.startsWith(WS_TOKEN_PREFIX)) return value.slice(WS_TOKEN_PREFIX.length);
    }
  }
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7);
  return undefined;
}

/** Terminal output as a binary frame (see shared/protocol/frames.ts), everything else as JSON text. */
export function encodeServerMessage(message: ServerMessage): string | Buffer {
  if (message.type === 'event') {
    const terminal = binaryFrameTerminal(message.topic, message.payload);
    if (terminal !== undefined) {
      const data = (message.payload as { data: string | Uint8Array }).data;
      const length = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
      const frame = Buffer.allocUnsafe(BINARY_FRAME_HEADER_BYTES + length);
      frame.writeUInt8(BINARY_FRAME_KIND.ptyData, 0);
      frame.writeUInt32BE(terminal, 1);
      if (typeof data === 'string') frame.write(data, BINARY_FRAME_HEADER_BYTES, 'utf8');
      else frame.set(data, BINARY_FRAME_HEADER_BYTES);
      return frame;
    }
  }
  return JSON.stringify(message);
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`,
  );
}

function answer(
  response: ServerResponse,
  status: number,
  reason: string,
  headers: Record<string, string> = {},
): void {
  response
    .writeHead(status, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store', ...headers })
    .end(status === 204 ? undefined : `${reason}\n`);
}

export function attachWebSocketTransport(
  bridge: Bridge,
  options: WebSocketTransportOptions,
): WebSocketTransport {
  const path = options.path ?? '/bridge';
  const high = options.highWatermarkBytes ?? 4 * 1024 * 1024;
  const hard = options.hardLimitBytes ?? 64 * 1024 * 1024;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes ?? WIRE_LIMITS.maxMessageBytes,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
  });
  const live = new Map<WebSocket, { session: BridgeSession; paused: boolean }>();

  const tokenAccepted = (request: IncomingMessage): boolean => {
    const token = presentedToken(request);
    return token !== undefined && tokensEqual(token, options.token);
  };

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== path) return; // another endpoint's (the VNC proxy's), or the host answers 404
    const origin = request.headers.origin;
    if (origin !== undefined && !options.allowedOrigins.has(origin)) {
      return refuse(socket, 403, 'Forbidden origin');
    }
    if (!tokenAccepted(request)) return refuse(socket, 401, 'Unauthorized');
    wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws));
  };

  const handleRequest = (request: IncomingMessage, response: ServerResponse): boolean => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname !== path) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      answer(response, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
    } else if (request.headers.origin !== undefined && !options.allowedOrigins.has(request.headers.origin)) {
      answer(response, 403, 'Forbidden origin');
    } else if (!tokenAccepted(request)) {
      answer(response, 401, 'Token refused', { 'WWW-Authenticate': 'Bearer' });
    } else {
      answer(response, 204, 'Token accepted');
    }
    return true;
  };

  const onConnection = (ws: WebSocket): void => {
    const state = {
      paused: false,
      session: bridge.openSession(
        {
          send: (message) => {
            if (ws.readyState !== ws.OPEN) return;
            ws.send(encodeServerMessage(message));
            applyBackpressure(ws);
          },
          canSendEvent: () => ws.bufferedAmount < high,
        },
        'websocket',
      ),
    };
    live.set(ws, state);

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) {
        // the one binary message a client sends: a terminal's acknowledgement, which gets no answer
        const ack = Buffer.isBuffer(data) ? decodeAckFrame(data) : undefined;
        if (ack) state.session.notify('pty.ack', ack);
        else state.session.handle(undefined); // answered as malformed
        return;
      }
      let value: unknown;
      try {
        value = JSON.parse(data.toString());
      } catch {
        ws.send(
          JSON.stringify({ type: 'error', error: { code: 'E_INVALID', message: 'message is not JSON' } }),
        );
        return;
      }
      state.session.handle(value);
    });
    ws.on('close', () => {
      live.delete(ws);
      state.session.close();
    });
    ws.on('error', () => ws.terminate()); // e.g. maxPayload exceeded: ws has already sent close 1009
  };

  // Reading from a client that does not read its answers would queue them without bound: stop reading instead.
  const applyBackpressure = (ws: WebSocket): void => {
    const state = live.get(ws);
    if (!state) return;
    if (ws.bufferedAmount > hard) {
      ws.close(CLOSE_CODES.tooSlow, 'client reads too slowly');
      setTimeout(() => ws.terminate(), 1000).unref();
      return;
    }
    if (ws.bufferedAmount > high && !state.paused) {
      state.paused = true;
      ws.pause();
      const poll = setInterval(() => {
        if (ws.readyState !== ws.OPEN || ws.bufferedAmount < high / 2) {
          clearInterval(poll);
          state.paused = false;
          if (ws.readyState === ws.OPEN) ws.resume();
        }
      }, 20);
      poll.unref();
    }
  };

  options.server.on('upgrade', onUpgrade);

  return {
    handleRequest,
    connections: () =>
      [...live.entries()].map(([ws, s]) => ({
        sessionId: s.session.context.sessionId,
        bufferedAmount: ws.bufferedAmount,
        droppedEvents: s.session.droppedEvents,
        paused: s.paused,
      })),
    close: async () => {
      options.server.off('upgrade', onUpgrade);
      const sockets = [...live.keys()];
      for (const ws of sockets) ws.close(CLOSE_CODES.shutdown, 'host shutting down');
      // A client that never answers the closing handshake (stalled, paused) must not hold the shutdown.
      const graceful = Promise.all(sockets.map((ws) => new Promise((resolve) => ws.once('close', resolve))));
      await Promise.race([graceful, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      for (const ws of live.keys()) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
