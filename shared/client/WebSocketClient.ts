import type { CommandArgs, CommandName, CommandResult } from '../protocol/index.js';
import { WIRE_LIMITS, WS_SUBPROTOCOL, WS_TOKEN_PREFIX } from '../protocol/envelope.js';
import { decodeBinaryFrame, encodeAckFrame } from '../protocol/frames.js';
import { HabitatError } from '../protocol/habitatError.js';
import type { ClientMessage } from '../protocol/wire.js';
import { ClientCore } from './ClientCore.js';
import { checkTokenOverHttp, type TokenCheck, type TokenVerdict } from './tokenCheck.js';
import type { CallOptions } from './types.js';

/** The part of the WHATWG WebSocket this client uses: the browser's and Node 22's global WebSocket both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  /** Terminal output arrives in binary frames: bytes are wanted, not the Blobs a browser hands out by default. */
  binaryType?: string;
  onerror: ((event: unknown) => void) | null;
}
export type WebSocketFactory = (url: string, protocols: string[]) => WebSocketLike;

export interface WebSocketClientOptions {
  /** ws:// or wss:// URL of the host's bridge endpoint, e.g. ws://127.0.0.1:7420/bridge */
  url: string;
  token: string;
  factory: WebSocketFactory;
  /** Reconnect with exponential backoff after the connection drops (the UI wants this, the CLI does not). */
  reconnect?: boolean;
  maxBackoffMs?: number;
  /**
   * Asks the host, after a connection failed before it opened, whether the token is the reason (default: a GET of
   * the bridge's URL, see tokenCheck.ts). 'refused' ends the attempts: state 'refused', connect() rejects E_DENIED.
   */
  checkToken?: TokenCheck;
}

const OPEN = 1;

export class WebSocketClient extends ClientCore {
  private socket: WebSocketLike | undefined;
  private closedByUser = false;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private opened: { resolve(): void; reject(error: HabitatError): void } | undefined;
  lastClose: { code: number; reason: string } | undefined;

  private constructor(private readonly options: WebSocketClientOptions) {
    super(() => {
      throw new Error('not connected');
    });
    this.setSender((message: ClientMessage) => {
      if (this.socket?.readyState !== OPEN) throw new Error('not connected');
      const text = JSON.stringify(message);
      assertCarried(text, message);
      this.socket.send(text);
    });
  }

  /**
   * Resolves once the first connection is open; rejects with E_DENIED if the host refuses the token, else with
   * E_UNAVAILABLE if it cannot be opened.
   */
  static connect(options: WebSocketClientOptions): Promise<WebSocketClient> {
    const client = new WebSocketClient(options);
    return new Promise((resolve, reject) => {
      client.opened = { resolve: () => resolve(client), reject };
      client.open();
    });
  }

  /** A client that keeps trying in the background, until the host refuses its token; for UIs that show the state. */
  static start(options: WebSocketClientOptions): WebSocketClient {
    const client = new WebSocketClient({ ...options, reconnect: true });
    client.open();
    return client;
  }

  /**
   * As ClientCore's, except pty.ack: while connected it goes as a binary frame that the host does not answer (see
   * shared/protocol/frames.ts), and resolves once sent. Nobody waits on an acknowledgement's outcome: one that no
   * longer applies (the terminal detached meanwhile) credits nothing either way.
   */
  override call<N extends CommandName>(
    command: N,
    args?: CommandArgs<N>,
    options?: CallOptions,
  ): Promise<CommandResult<N>> {
    if (command === 'pty.ack' && this.socket?.readyState === OPEN) {
      const { terminal, chars } = (args ?? {}) as Partial<CommandArgs<'pty.ack'>>;
      const frame = encodeAckFrame(Number(terminal), Number(chars));
      if (frame) {
        this.socket.send(frame);
        return Promise.resolve({} as CommandResult<N>);
      }
    }
    return super.call(command, args, options);
  }

  close(): void {
    this.closedByUser = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.close(1000, 'client closed');
    this.setState('closed');
  }

  private open(): void {
    const token = `${WS_TOKEN_PREFIX}${this.options.token}`;
    let socket: WebSocketLike;
    try {
      socket = this.options.factory(this.options.url, [WS_SUBPROTOCOL, token]);
    } catch (error) {
      this.handleClose({ code: 1006, reason: String(error) }, false);
      return;
    }
    this.socket = socket;
    let wasOpen = false;
    socket.onopen = () => {
      wasOpen = true;
      this.attempt = 0;
      this.setState('open');
      this.opened?.resolve();
      this.opened = undefined;
    };
    // Node's ws hands out its own buffer with 'nodebuffer' (no copy); browsers ignore that value and take 'arraybuffer'
    socket.binaryType = 'nodebuffer';
    if (socket.binaryType !== 'nodebuffer') socket.binaryType = 'arraybuffer';
    socket.onmessage = (event) => {
      if (typeof event.data !== 'string') {
        const bytes = asBytes(event.data);
        const decoded = bytes && decodeBinaryFrame(bytes);
        if (decoded) this.receiveEvent(decoded.topic, decoded.payload);
        return;
      }
      let value: unknown;
      try {
        value = JSON.parse(event.data);
      } catch {
        return;
      }
      this.receive(value);
    };
    socket.onerror = () => {
      // Node's WebSocket reports a refused upgrade with an error and no close event: treat both alike.
      if (this.socket !== socket) return;
      this.handleClose({ code: 1006, reason: 'connection refused or lost' }, wasOpen);
      try {
        socket.close();
      } catch {
        // already closed
      }
    };
    socket.onclose = (event) => {
      if (this.socket === socket) this.handleClose(event, wasOpen);
    };
  }

  private handleClose(event: { code: number; reason: string }, wasOpen: boolean): void {
    this.lastClose = { code: event.code, reason: event.reason };
    this.socket = undefined;
    if (wasOpen || this.closedByUser) {
      this.afterClose(event, 'unknown');
      return;
    }
    // The upgrade failed, and a browser never says why (a 401 reads as 1006, like a host that is down): ask, so that
    // a token the host will never take (it restarted with a new one) ends the attempts instead of feeding them.
    const check = this.options.checkToken ?? checkTokenOverHttp;
    check(this.options.url, this.options.token).then(
      (verdict) => this.afterClose(event, verdict),
      () => this.afterClose(event, 'unknown'),
    );
  }

  private afterClose(event: { code: number; reason: string }, verdict: TokenVerdict): void {
    if (verdict === 'refused' && !this.closedByUser) {
      this.opened?.reject(
        new HabitatError(
          'E_DENIED',
          `the Habitat host at ${this.options.url} refused the token: it is not this host's (one started without HABITAT_TOKEN makes a new token each time it starts)`,
        ),
      );
      this.opened = undefined;
      this.setState('refused');
      return;
    }
    if (this.opened) {
      const detail = event.reason ? `: ${event.reason}` : '';
      this.opened.reject(
        new HabitatError(
          'E_UNAVAILABLE',
          `cannot connect to the Habitat host at ${this.options.url} (close code ${event.code}${detail}); is it running, and is the token right?`,
        ),
      );
      this.opened = undefined;
      this.setState('closed');
      return;
    }
    if (this.closedByUser || !this.options.reconnect) {
      this.setState('closed');
      return;
    }
    this.setState('reconnecting');
    const delay = Math.min(this.options.maxBackoffMs ?? 5000, 250 * 2 ** this.attempt++);
    this.retryTimer = setTimeout(() => this.open(), delay * (0.75 + Math.random() * 0.5));
  }
}

/** Binary frame data as bytes: an ArrayBuffer (browsers, 'arraybuffer'), or a Uint8Array view (Node's ws). */
function asBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/**
 * A message over WIRE_LIMITS.maxMessageBytes is never sent: the host would close the connection (1009), losing every
 * call on it. Its call fails alone, with E_LIMIT.
 */
function assertCarried(text: string, message: ClientMessage): void {
  const limit = WIRE_LIMITS.maxMessageBytes;
  if (text.length * 3 <= limit) return; // UTF-8 takes at most 3 bytes per UTF-16 unit
  const bytes = new TextEncoder().encode(text).length;
  if (bytes <= limit) return;
  const what = message.type === 'call' ? message.command : message.type;
  throw new HabitatError(
    'E_LIMIT',
    `${what} is a ${bytes}-byte message, over the ${limit} bytes one message may have (send it in parts)`,
  );
}
