import { z } from 'zod';
import { ErrorValueSchema } from './errors.js';

/** Limits that every transport enforces before any kernel code sees a message. */
export const WIRE_LIMITS = {
  maxMessageBytes: 1024 * 1024,
  maxTopicsPerMessage: 64,
  maxNameLength: 128,
} as const;

export const RequestIdSchema = z.union([
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  z.string().max(64),
]);
export type RequestId = z.infer<typeof RequestIdSchema>;

const topicName = z
  .string()
  .min(1)
  .max(WIRE_LIMITS.maxNameLength)
  .regex(/^(\*|[a-z][a-zA-Z0-9]*(\.[a-zA-Z0-9]+)*(\.\*)?)$/, 'a topic such as process.changed or process.*');

export const ClientMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('call'),
    id: RequestIdSchema,
    command: z.string().min(1).max(WIRE_LIMITS.maxNameLength),
    args: z.unknown().optional(),
  }),
  z.object({
    type: z.literal('subscribe'),
    id: RequestIdSchema,
    topics: z.array(topicName).min(1).max(WIRE_LIMITS.maxTopicsPerMessage),
  }),
  z.object({
    type: z.literal('unsubscribe'),
    id: RequestIdSchema,
    topics: z.array(topicName).min(1).max(WIRE_LIMITS.maxTopicsPerMessage),
  }),
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

export const ServerMessageSchema = z.union([
  z.object({ type: z.literal('result'), id: RequestIdSchema, ok: z.literal(true), result: z.unknown() }),
  z.object({ type: z.literal('result'), id: RequestIdSchema, ok: z.literal(false), error: ErrorValueSchema }),
  z.object({ type: z.literal('event'), topic: z.string(), payload: z.unknown() }),
  /** A message that could not be attributed to a request (not JSON, no id). */
  z.object({ type: z.literal('error'), error: ErrorValueSchema }),
]);
export type ServerMessage =
  | { type: 'result'; id: RequestId; ok: true; result: unknown }
  | { type: 'result'; id: RequestId; ok: false; error: z.infer<typeof ErrorValueSchema> }
  | { type: 'event'; topic: string; payload: unknown }
  | { type: 'error'; error: z.infer<typeof ErrorValueSchema> };

/** WebSocket subprotocols: the version, and the token carried as a second entry (browsers cannot set headers). */
export const WS_SUBPROTOCOL = 'habitat.v1';
export const WS_TOKEN_PREFIX = 'habitat.token.';

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
