import type { WebSocketLike } from '../../shared/client/index.js';
import {
  isRequestId,
  WS_SUBPROTOCOL,
  WS_TOKEN_PREFIX,
  type RequestId,
} from '../../shared/protocol/envelope.js';

/** What public/connect-early.js leaves on window: a bridge socket opened before the app's scripts ran. */
export interface EarlySocket {
  url: string;
  token: string;
  socket: WebSocket;
  /** open, message, error and close events that came before the app took the socket over, in order. */
  events: Event[];
  /** The calls it sent once open (none if the app took it over first), each answered to its id. */
  calls?: EarlyCall[];
}

export interface EarlyCall {
  id: string;
  command: string;
  args: unknown;
}

declare global {
  interface Window {
    __habitatEarlySocket?: EarlySocket;
    /** Set once the app connects: connect-early.js, should it run later, then opens nothing. */
    __habitatStarted?: boolean;
  }
}

const CLOSING = 2;

/**
 * The early socket, once, if it was opened for this URL and these subprotocols (the token included) and has not
 * closed; else undefined and the caller opens its own. The socket it returns replays what happened so far to the
 * handlers its user sets (after they are all set, on a microtask), then passes events through as they come.
 */
export function takeEarlySocket(
  url: string,
  protocols: readonly string[],
  from: { __habitatEarlySocket?: EarlySocket; __habitatStarted?: boolean } = window,
): WebSocketLike | undefined {
  from.__habitatStarted = true;
  const early = from.__habitatEarlySocket;
  from.__habitatEarlySocket = undefined;
  if (!early || early.socket.readyState >= CLOSING) return undefined;
  const wanted = [WS_SUBPROTOCOL, `${WS_TOKEN_PREFIX}${early.token}`];
  if (early.url !== url || protocols.length !== wanted.length || protocols.some((p, i) => p !== wanted[i])) {
    early.socket.close(1000, 'replaced'); // not what the app asks for: no stray connection is left open
    return undefined;
  }
  return adopt(early);
}

/**
 * The app's own requests for what the early socket asked already: while the app starts (until the first message
 * reaches it) a call for the same command and arguments is not sent again, and the early answer comes to it under its
 * own id, where it came in the stream. Events are never held or reordered, so the store reads an answer exactly as
 * if it had asked itself when the early socket did.
 */
class EarlyAnswers {
  /** Early call id to the id of the app's call it answers, once the app asked. */
  private readonly claimed = new Map<string, RequestId>();
  private readonly unclaimed = new Map<string, string>();
  private open = true;

  constructor(calls: readonly EarlyCall[]) {
    for (const call of calls) this.unclaimed.set(keyOf(call.command, call.args), call.id);
  }

  /** Whether an outgoing message is a call answered early: then it is not sent. */
  claim(data: unknown): boolean {
    if (!this.open || this.unclaimed.size === 0 || typeof data !== 'string') return false;
    let message: { type?: unknown; id?: unknown; command?: unknown; args?: unknown };
    try {
      message = JSON.parse(data) as typeof message;
    } catch {
      return false;
    }
    if (message.type !== 'call' || typeof message.command !== 'string' || !isRequestId(message.id))
      return false;
    const key = keyOf(message.command, message.args);
    const early = this.unclaimed.get(key);
    if (early === undefined) return false;
    this.unclaimed.delete(key);
    this.claimed.set(early, message.id);
    return true;
  }

  /** An incoming message as the app should see it: an early answer under its call's id. Closes the claims. */
  relabel(event: MessageEvent): MessageEvent {
    this.open = false;
    const { data } = event;
    if (this.claimed.size === 0 || typeof data !== 'string' || !data.includes('"early.')) return event;
    let message: { type?: unknown; id?: unknown };
    try {
      message = JSON.parse(data) as typeof message;
    } catch {
      return event;
    }
    const id =
      message.type === 'result' && typeof message.id === 'string' ? this.claimed.get(message.id) : undefined;
    if (id === undefined) return event;
    this.claimed.delete(message.id as string);
    return { type: 'message', data: JSON.stringify({ ...message, id }) } as MessageEvent;
  }
}

function keyOf(command: string, args: unknown): string {
  return `${command} ${JSON.stringify(args ?? {})}`;
}

function adopt({ socket, events, calls }: EarlySocket): WebSocketLike {
  const answers = new EarlyAnswers(calls ?? []);
  // the handlers its user sets are plain properties of the returned socket, read as each event is dispatched
  const adopted: WebSocketLike = {
    get readyState() {
      return socket.readyState;
    },
    get binaryType() {
      return socket.binaryType;
    },
    set binaryType(type: string | undefined) {
      // a browser knows 'blob' and 'arraybuffer' only; the client asks for Node's first and falls back
      if (type === 'blob' || type === 'arraybuffer') socket.binaryType = type;
    },
    send: (data) => {
      if (!answers.claim(data)) socket.send(data);
    },
    close: (code, reason) => socket.close(code, reason),
    onopen: null,
    onmessage: null,
    onerror: null,
    onclose: null,
  };
  const dispatch = (event: Event): void => {
    if (event.type === 'open') adopted.onopen?.(event);
    else if (event.type === 'message') adopted.onmessage?.(answers.relabel(event as MessageEvent));
    else if (event.type === 'error') adopted.onerror?.(event);
    else if (event.type === 'close') adopted.onclose?.(event as CloseEvent);
  };
  let replaying = true;
  socket.onopen =
    socket.onmessage =
    socket.onerror =
    socket.onclose =
      (event: Event): void => {
        if (replaying) events.push(event);
        else dispatch(event);
      };
  queueMicrotask(() => {
    // in order, including what arrives during the replay
    for (let i = 0; i < events.length; i++) dispatch(events[i]!);
    events.length = 0;
    replaying = false;
  });
  return adopted;
}
