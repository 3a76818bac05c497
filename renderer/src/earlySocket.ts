import type { WebSocketLike } from '../../shared/client/index.js';
import { WS_SUBPROTOCOL, WS_TOKEN_PREFIX } from '../../shared/protocol/envelope.js';

/** What public/connect-early.js leaves on window: a bridge socket opened before the app's scripts ran. */
export interface EarlySocket {
  url: string;
  token: string;
  socket: WebSocket;
  /** open, message, error and close events that came before the app took the socket over, in order. */
  events: Event[];
}

declare global {
  interface Window {
    __habitatEarlySocket?: EarlySocket;
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
  from: { __habitatEarlySocket?: EarlySocket } = window,
): WebSocketLike | undefined {
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

function adopt({ socket, events }: EarlySocket): WebSocketLike {
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
    send: (data) => socket.send(data),
    close: (code, reason) => socket.close(code, reason),
    onopen: null,
    onmessage: null,
    onerror: null,
    onclose: null,
  };
  const dispatch = (event: Event): void => {
    if (event.type === 'open') adopted.onopen?.(event);
    else if (event.type === 'message') adopted.onmessage?.(event as MessageEvent);
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
