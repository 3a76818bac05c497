import WebSocket from 'ws';
import { VNC_SUBPROTOCOL, VNC_TOKEN_PREFIX } from '../closeCodes.js';

export interface VncClientOptions {
  token?: string | undefined;
  origin?: string;
  protocols?: string[];
}

/** A raw ws viewer: what noVNC does on the wire, without noVNC. */
export function vncClient(url: string, options: VncClientOptions = {}): WebSocket {
  const protocols = options.protocols ?? [
    VNC_SUBPROTOCOL,
    ...(options.token === undefined ? [] : [`${VNC_TOKEN_PREFIX}${options.token}`]),
  ];
  return new WebSocket(url, protocols, {
    perMessageDeflate: false,
    ...(options.origin ? { origin: options.origin } : {}),
  });
}

/** Resolves when open, or rejects with the HTTP status of a refused upgrade. */
export function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

export interface Received {
  bytes: Buffer;
  code: number;
  reason: string;
}

/** Everything the client receives until the close, with the close code. */
export function collect(ws: WebSocket): Promise<Received> {
  const chunks: Buffer[] = [];
  ws.on('message', (data) => chunks.push(data as Buffer));
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('close', (code, reason) =>
      resolve({ bytes: Buffer.concat(chunks), code, reason: reason.toString() }),
    );
  });
}

/** The close code and reason a refused (but upgraded) connection gets. */
export async function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  const { code, reason } = await collect(ws);
  return { code, reason };
}
