import { z } from 'zod';
import { ErrorValueSchema } from './errors.js';
import { WIRE_LIMITS, type RequestId, type ServerMessage } from './envelope.js';

export {
  CLOSE_CODES,
  isRequestId,
  readServerMessage,
  topicMatches,
  WIRE_LIMITS,
  WS_SUBPROTOCOL,
  WS_TOKEN_PREFIX,
  type RequestId,
  type ServerMessage,
} from './envelope.js';

export const RequestIdSchema = z.union([
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  z.string().max(64),
]) satisfies z.ZodType<RequestId>;

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

/** What readServerMessage accepts, as a schema (for the host's own tests and for documentation). */
export const ServerMessageSchema = z.union([
  // (a command that returns nothing has no `result` once in JSON, an event without a payload none either)
  z.object({
    type: z.literal('result'),
    id: RequestIdSchema,
    ok: z.literal(true),
    result: z.unknown().optional(),
  }),
  z.object({ type: z.literal('result'), id: RequestIdSchema, ok: z.literal(false), error: ErrorValueSchema }),
  z.object({ type: z.literal('event'), topic: z.string(), payload: z.unknown().optional() }),
  /** A message that could not be attributed to a request (not JSON, no id). */
  z.object({ type: z.literal('error'), error: ErrorValueSchema }),
]) satisfies z.ZodType<ServerMessage>;
