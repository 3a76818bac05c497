import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer. Chunks are written one by one, `chunkDelayMs` apart, so clients really stream. */
export interface ScriptedHttpReply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  chunks?: string[];
  chunkDelayMs?: number;
  /** Never answer: the client must give up on its own. */
  hang?: boolean;
  /** Cut the connection: before any byte, or after the first chunk. */
  cut?: 'before-headers' | 'mid-body';
}

export interface RecordedRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON where the body is JSON, else the raw text. */
  body: unknown;
}

/**
 * A local HTTP server that replays scripted replies per route, in order, and records every request: the model
 * servers of the provider tests. A request nobody scripted gets a 501 that says so.
 */
export class ScriptedServer {
  readonly requests: RecordedRequest[] = [];
  private readonly routes: { match: RegExp; replies: ScriptedHttpReply[] }[] = [];
  private server!: Server;
  url = '';

  static async start(): Promise<ScriptedServer> {
    const scripted = new ScriptedServer();
    scripted.server = createServer((req, res) => void scripted.handle(req, res));
    await new Promise<void>((resolve) => scripted.server.listen(0, '127.0.0.1', resolve));
    scripted.url = `http://127.0.0.1:${(scripted.server.address() as AddressInfo).port}`;
    return scripted;
  }

  /** Queues replies for requests whose path (and query) matches. */
  on(match: RegExp | string, ...replies: ScriptedHttpReply[]): this {
    const regex =
      typeof match === 'string' ? new RegExp(`^${match.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) : match;
    const route = this.routes.find((r) => r.match.source === regex.source);
    if (route) route.replies.push(...replies);
    else this.routes.push({ match: regex, replies });
    return this;
  }

  /** Drops every reply still queued: what comes next is only what is queued after. */
  clear(): this {
    for (const route of this.routes) route.replies.length = 0;
    return this;
  }

  /** Replies still queued (a test can check that every scripted reply was used). */
  pending(): number {
    return this.routes.reduce((n, r) => n + r.replies.length, 0);
  }

  requestsTo(match: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => match.test(r.url));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // keep the text
    }
    const url = req.url ?? '/';
    this.requests.push({ method: req.method ?? 'GET', url, headers: req.headers, body });
    const reply = this.routes.find((r) => r.match.test(url))?.replies.shift();
    if (!reply) {
      res.writeHead(501, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `no scripted reply for ${req.method} ${url}` }));
      return;
    }
    if (reply.hang) return; // the socket stays open until the client aborts or the server closes
    if (reply.cut === 'before-headers') {
      req.socket.destroy();
      return;
    }
    res.writeHead(reply.status ?? 200, reply.headers ?? {});
    const parts = reply.chunks ?? (reply.body === undefined ? [] : [reply.body]);
    for (const [i, part] of parts.entries()) {
      if (res.destroyed) return;
      res.write(part);
      if (reply.cut === 'mid-body') {
        await new Promise((r) => setTimeout(r, 20));
        req.socket.destroy();
        return;
      }
      if (reply.chunkDelayMs && i < parts.length - 1)
        await new Promise((r) => setTimeout(r, reply.chunkDelayMs));
    }
    res.end();
  }
}
