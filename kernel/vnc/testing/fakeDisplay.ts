import { createServer, type Server, type Socket } from 'node:net';

/** One connection to the fake display: everything the proxy wrote to it, in order. */
export class FakeConnection {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private waiters: (() => void)[] = [];
  readonly ended: Promise<void>;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.size += chunk.length;
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('error', () => undefined); // a proxy that destroys its end is part of the tests
    this.ended = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  get receivedBytes(): number {
    return this.size;
  }

  received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  async waitForBytes(count: number, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.size < count) {
      if (Date.now() > deadline) throw new Error(`fake display got ${this.size} of ${count} bytes`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }
}

export interface FakeDisplay {
  path: string;
  connections: FakeConnection[];
  /** The index-th connection (from 0), once it has arrived. */
  connection(index: number): Promise<FakeConnection>;
  close(): Promise<void>;
}

/**
 * A unix-socket server standing in for x11vnc: it records what arrives and lets a test (or a benchmark) decide what
 * to send, so what passes the proxy can be asserted byte for byte.
 */
export async function startFakeDisplay(
  path: string,
  onConnection: (connection: FakeConnection) => void = () => undefined,
): Promise<FakeDisplay> {
  const connections: FakeConnection[] = [];
  let arrived: () => void = () => undefined;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const connection = new FakeConnection(socket);
    connections.push(connection);
    onConnection(connection);
    arrived();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    path,
    connections,
    connection: async (index) => {
      while (!connections[index]) await new Promise<void>((resolve) => (arrived = resolve));
      return connections[index]!;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A deterministic byte pattern, so a test can tell a lost or reordered chunk from a complete stream. */
export function pattern(length: number, seed = 0): Buffer {
  const buffer = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) buffer[i] = (i * 31 + seed + (i >>> 8)) & 0xff;
  return buffer;
}
