import WebSocket, { type RawData } from 'ws';

export type MessageBuilder = (id: number) => Record<string, unknown>;
export type Reply = Record<string, unknown> & { id: number };

/**
 * A minimal JSON request/response client over ws. Every target is measured through this same code path, so the
 * client's own cost (stringify, parse, promise per call) is identical on both sides of a comparison.
 */
export class JsonWsClient {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: Reply) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: RawData) => {
      const reply = JSON.parse(data.toString()) as Reply;
      const resolve = this.pending.get(reply.id);
      if (!resolve) throw new Error(`reply to no pending call: ${data.toString().slice(0, 200)}`);
      this.pending.delete(reply.id);
      resolve(reply);
    });
  }

  static connect(url: string, protocols: string[] = []): Promise<JsonWsClient> {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws.off('error', reject);
        resolve(new JsonWsClient(ws));
      });
      ws.once('error', reject);
    });
  }

  /** Sends the message built for the next id; resolves with the reply carrying that id. */
  call(build: MessageBuilder): Promise<Reply> {
    const id = this.nextId++;
    this.ws.send(JSON.stringify(build(id)));
    return new Promise((resolve) => this.pending.set(id, resolve));
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
