import type { Socket } from 'node:net';
import type { RawData, WebSocket } from 'ws';
import { VNC_CLOSE_CODES } from './closeCodes.js';
import type { DisplayReads } from './displayReads.js';
import { RfbViewFilter } from './rfb.js';
import type { VncGrant } from './tokens.js';

export interface Watermarks {
  /** Above this many bytes queued for the client, reading from the display pauses. */
  high: number;
  /** Reading resumes once the queue is down to this. */
  low: number;
}

export interface VncSessionStats {
  id: number;
  agent: number;
  mode: VncGrant['mode'];
  /** Bytes from the display delivered to the WebSocket, and from the client written to the display. */
  bytesToClient: number;
  bytesToDisplay: number;
  /** Input messages a view-only client sent that were dropped. */
  droppedInput: number;
  /** Bytes queued for the client (ws.bufferedAmount) and for the display (socket.writableLength). */
  clientQueued: number;
  displayQueued: number;
  /** Whether reading from the display, or from the client, is paused by backpressure. */
  displayPaused: boolean;
  clientPaused: boolean;
}

const discard = (): void => undefined;

/** How long a half-closed display socket may linger after the client left before it is destroyed. */
const UPSTREAM_LINGER_MS = 2_000;

/**
 * One viewer's connection: the WebSocket and the display's unix socket, joined with backpressure each way.
 * Display to client: every chunk becomes one binary frame; above the high watermark the socket stops being read (so
 * the display's own send buffer fills and x11vnc slows down) until ws has flushed down to the low one. Client to
 * display: when the socket's write buffer does not drain, the WebSocket stops being read.
 */
export class ProxySession {
  private readonly filter: RfbViewFilter | undefined;
  private bytesToClient = 0;
  private bytesToDisplay = 0;
  private displayPaused = false;
  private clientPaused = false;
  private ended = false;

  constructor(
    readonly id: number,
    readonly grant: VncGrant,
    private readonly ws: WebSocket,
    private readonly upstream: Socket,
    private readonly reads: DisplayReads,
    private readonly marks: Watermarks,
    private readonly onEnd: (session: ProxySession) => void,
  ) {
    this.filter = grant.mode === 'view' ? new RfbViewFilter() : undefined;
    reads.sink = this.fromDisplay;
    upstream.resume();
    // 'end' comes only after the last read was delivered: closing here, behind the queued frames, loses nothing.
    upstream.on('end', () => this.close(VNC_CLOSE_CODES.normal, 'display closed the connection'));
    upstream.on('error', (error) =>
      this.close(VNC_CLOSE_CODES.upstreamError, `display socket: ${error.message}`),
    );
    upstream.on('close', () => this.close(VNC_CLOSE_CODES.normal, 'display closed the connection'));
    ws.on('message', this.fromClient);
    ws.on('close', () => this.finish());
    ws.on('error', () => ws.terminate()); // e.g. a frame over maxPayload: ws has already sent 1009
  }

  /** Ends the session with a close code: frames already queued go out before the close frame. */
  close(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.reads.sink = discard;
    this.upstream.destroy();
    if (this.ws.readyState === this.ws.OPEN)
      this.ws.close(code, reason.slice(0, 120)); // a close reason is <= 123 bytes
    else if (this.ws.readyState === this.ws.CONNECTING) this.ws.terminate();
    if (this.clientPaused) this.ws.resume(); // the closing handshake must be read
  }

  stats(): VncSessionStats {
    return {
      id: this.id,
      agent: this.grant.agent,
      mode: this.grant.mode,
      bytesToClient: this.bytesToClient,
      bytesToDisplay: this.bytesToDisplay,
      droppedInput: this.filter?.dropped ?? 0,
      clientQueued: this.ws.bufferedAmount,
      displayQueued: this.upstream.writableLength,
      displayPaused: this.displayPaused,
      clientPaused: this.clientPaused,
    };
  }

  private readonly fromDisplay = (chunk: Buffer, done: (() => void) | undefined): void => {
    this.bytesToClient += chunk.length;
    const sent = done
      ? (error?: Error) => {
          if (!error) done(); // written to the kernel: the read buffer may be reused (after an error, let it go)
          this.afterSend();
        }
      : this.afterSend;
    this.ws.send(chunk, { binary: true }, sent);
    if (!this.displayPaused && this.ws.bufferedAmount > this.marks.high) {
      this.displayPaused = true;
      this.upstream.pause();
    }
  };

  // Called as each frame reaches the kernel's socket buffer: the moment the queue can have shrunk.
  private readonly afterSend = (): void => {
    if (!this.displayPaused || this.ended || this.ws.bufferedAmount > this.marks.low) return;
    this.displayPaused = false;
    this.upstream.resume();
  };

  private readonly fromClient = (data: RawData, isBinary: boolean): void => {
    if (this.ended) return;
    if (!isBinary) return this.close(VNC_CLOSE_CODES.unsupportedData, 'binary frames only');
    // The server's binaryType is 'nodebuffer': a Buffer, used as is (no copy).
    let bytes = Buffer.isBuffer(data)
      ? data
      : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
    if (this.filter) {
      bytes = this.filter.push(bytes);
      if (this.filter.error !== undefined) {
        if (bytes.length > 0) this.upstream.write(bytes);
        return this.close(VNC_CLOSE_CODES.policy, `view-only: ${this.filter.error}`);
      }
    }
    if (bytes.length === 0) return;
    this.bytesToDisplay += bytes.length;
    if (!this.upstream.write(bytes) && !this.clientPaused) {
      this.clientPaused = true;
      this.ws.pause();
      this.upstream.once('drain', () => {
        this.clientPaused = false;
        if (!this.ended) this.ws.resume();
      });
    }
  };

  /** The WebSocket is gone: let the display socket flush what the client sent last, then let it go. */
  private finish(): void {
    const wasEnded = this.ended;
    this.ended = true;
    if (!wasEnded) {
      this.reads.sink = discard;
      this.upstream.resume(); // whatever the display still sends while it closes is read and dropped
      this.upstream.end();
      setTimeout(() => this.upstream.destroy(), UPSTREAM_LINGER_MS).unref();
    }
    this.onEnd(this);
  }
}
