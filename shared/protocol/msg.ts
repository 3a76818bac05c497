import { z } from 'zod';
import { command, event } from './define.js';
import { PidSchema } from './process.js';

/** Limits the kernel enforces (E_LIMIT), published so callers know them up front. */
export const MSG_MAX_BODY_BYTES = 64 * 1024;
export const MSG_MAX_SUBJECT_CHARS = 200;
/** Unread messages one mailbox holds; a send beyond it answers E_LIMIT until the agent acknowledges some. */
export const MSG_MAX_UNREAD = 1000;
export const MSG_MAX_PAGE = 500;

export const MessageSchema = z.object({
  id: z.number().int().positive(),
  to: PidSchema,
  /** The sending agent, or null: a person (the UI, the CLI). */
  from: PidSchema.nullable(),
  subject: z.string().nullable(),
  body: z.string(),
  sentAt: z.string(),
  readAt: z.string().nullable(),
  broadcast: z.boolean(),
});
export type Message = z.infer<typeof MessageSchema>;

// Bodies up to 4x the byte limit in characters reach the kernel, which answers over-long ones with E_LIMIT.
const body = z.string().max(MSG_MAX_BODY_BYTES * 4);
const subject = z.string().max(MSG_MAX_SUBJECT_CHARS * 4);

export const msgCommands = {
  'msg.send': command({
    description: "Put a message in a live agent's persistent mailbox.",
    args: z.object({ to: PidSchema, body, subject: subject.optional(), from: PidSchema.optional() }).strict(),
    result: MessageSchema,
  }),
  'msg.broadcast': command({
    description: 'Send a message to every live agent (but the sender).',
    args: z.object({ body, subject: subject.optional(), from: PidSchema.optional() }).strict(),
    result: z.object({ messages: z.array(MessageSchema) }),
  }),
  'msg.check': command({
    description: "An agent's messages, oldest first: unread ones by default, a page at a time (after an id).",
    args: z
      .object({
        pid: PidSchema,
        all: z.boolean().default(false),
        after: z.number().int().nonnegative().optional(),
        limit: z.number().int().min(1).max(MSG_MAX_PAGE).default(50),
      })
      .strict(),
    result: z.object({
      messages: z.array(MessageSchema),
      unread: z.number().int().nonnegative(),
      /** More messages follow the last one returned: ask again with after = its id. */
      more: z.boolean(),
    }),
  }),
  'msg.ack': command({
    description: 'Mark messages read: some by id, or all of them.',
    args: z
      .object({
        pid: PidSchema,
        ids: z.array(z.number().int().positive()).max(MSG_MAX_PAGE).optional(),
        all: z.boolean().default(false),
      })
      .strict(),
    result: z.object({
      acknowledged: z.number().int().nonnegative(),
      unread: z.number().int().nonnegative(),
    }),
  }),
};

export const msgEvents = {
  'msg.received': event({
    description: 'A message arrived in a mailbox; published on msg.received.<pid>.',
    payload: MessageSchema,
  }),
};
