import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData } from 'ws';

export interface EchoServer {
  url: string;
  close(): Promise<void>;
}

/** The floor for any WebSocket protocol: a bare ws server that sends every text frame straight back. */
export async function startEchoServer(): Promise<EchoServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  wss.on('connection', (ws) => {
    ws.on('message', (data: RawData, isBinary: boolean) => ws.send(data, { binary: isBinary }));
  });
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    close: async () => {
      // wss.close() leaves open connections alone: end them so nothing keeps the process alive.
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
