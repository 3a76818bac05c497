import type WebSocket from 'ws';
import { opened, rawSocket } from '../../../test/helpers.js';
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
  return rawSocket(url, { ...options, protocols });
}

export { opened };

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
