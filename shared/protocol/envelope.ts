import { isErrorValue, type ErrorValue } from './habitatError.js';

/**
 * The bridge's envelope as a client reads it, without zod: checking every message from the host with a schema
 * union, and building that schema, cost the renderer's first paint a sizeable part of its time. wire.ts has the
 * schemas (ServerMessageSchema accepts exactly what readServerMessage does; protocol.test.ts checks they agree).
 */

/**
 * Limits that every transport enforces before any kernel code sees a message. maxMessageBytes carries fs.write's
 * largest call as base64 (8 MiB is 11.2 MB) and little more: parsing a message costs the host several times its
 * size, on the loop every agent shares, so a client holding the token must not be able to send much larger ones.
 * Text that JSON escapes heavily (control characters) can pass it below 8 MiB: WebSocketClient then refuses the call
 * (E_LIMIT) rather than lose its connection to the WebSocket's close (1009).
 */
export const WIRE_LIMITS = {
  maxMessageBytes: 16 * 1024 * 1024,
  maxTopicsPerMessage: 64,
  maxNameLength: 128,
} as const;

export type RequestId = number | string;

export type ServerMessage =
  | { type: 'result'; id: RequestId; ok: true; result?: unknown }
  | { type: 'result'; id: RequestId; ok: false; error: ErrorValue }
  | { type: 'event'; topic: string; payload?: unknown }
  | { type: 'error'; error: ErrorValue };

export function isRequestId(value: unknown): value is RequestId {
  return typeof value === 'string'
    ? value.length <= 64
    : Number.isSafeInteger(value) && (value as number) >= 0;
}

/** A message from the host, or undefined for anything that is not one (garbage is ignored, never trusted). */
export function readServerMessage(raw: unknown): ServerMessage | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const message = raw as Record<string, unknown>;
  const valid =
    message.type === 'result'
      ? isRequestId(message.id) &&
        (message.ok === true || (message.ok === false && isErrorValue(message.error)))
      : message.type === 'event'
        ? typeof message.topic === 'string'
        : message.type === 'error' && isErrorValue(message.error);
  // the message itself, not a copy: this runs for every event a page receives
  return valid ? (raw as ServerMessage) : undefined;
}

/** WebSocket subprotocols: the version, and the token carried as a second entry (browsers cannot set headers). */
export const WS_SUBPROTOCOL = 'habitat.v1';
export const WS_TOKEN_PREFIX = 'habitat.token.';
/**
 * The id of the JSON block in which a headless host sends a page its first data (system.info and process.list),
 * when the page's URL carries the token: the page draws its agents without waiting for its socket.
 */
export const BOOT_ELEMENT_ID = 'habitat-boot';

/** Close codes a client can act on. 4xxx are ours; 1008/1009 are the standard policy and size codes. */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  policy: 1008,
  tooBig: 1009,
  tooSlow: 4008,
  shutdown: 4001,
} as const;

/** Does an event topic match a subscription pattern ('*', 'process.*' or an exact name)? */
export function topicMatches(pattern: string, topic: string): boolean {
  if (pattern === '*' || pattern === topic) return true;
  return pattern.endsWith('.*') && topic.startsWith(pattern.slice(0, -1));
}
