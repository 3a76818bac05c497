import { z } from 'zod';
import { command, event } from './define.js';
import { ArgvSchema, PidSchema } from './ids.js';
import { VNC_MODES } from './vncConnection.js';

export * from './vncConnection.js';

export const VncModeSchema = z.enum(VNC_MODES);

export const DisplayStateSchema = z.enum(['idle', 'starting', 'ready', 'restarting', 'failed', 'stopped']);
export type DisplayStateName = z.infer<typeof DisplayStateSchema>;

/** A graphical agent's display as the kernel supervises it. */
export const VncDisplaySchema = z.object({
  pid: PidSchema,
  state: DisplayStateSchema,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** The X display inside the sandbox (`:99`), for programs started there. */
  display: z.string(),
  /** How many times a part of it (Xvfb, the window manager, x11vnc) was restarted after a crash or a hang. */
  restarts: z.number().int().nonnegative(),
  /** Why it stopped or failed, or last restarted. */
  reason: z.string().nullable(),
  /** Viewers connected now, in control mode and view-only. */
  viewers: z.object({ view: z.number().int().nonnegative(), control: z.number().int().nonnegative() }),
});
export type VncDisplay = z.infer<typeof VncDisplaySchema>;

export const VncTicketSchema = z.object({
  pid: PidSchema,
  mode: VncModeSchema,
  /** The WebSocket path on the host that served the UI (`/vnc/<pid>`); offer `binary` and `habitat.vnc.<token>`. */
  path: z.string(),
  /** The full WebSocket URL when the proxy is not on the page's host (the desktop app's loopback proxy). */
  url: z.string().optional(),
  /** Single use, short-lived: a new one for every connection, reconnects included. */
  token: z.string(),
  /** Epoch milliseconds after which an unused token is refused. */
  expiresAt: z.number(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
});
export type VncTicket = z.infer<typeof VncTicketSchema>;

const EnvSchema = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'),
    z.string().max(64 * 1024),
  )
  .refine((env) => Object.keys(env).length <= 64, 'at most 64 variables');

export const vncCommands = {
  'vnc.list': command({
    description: 'The displays of graphical agents: state, size and viewers.',
    args: z.object({}).strict(),
    result: z.object({ displays: z.array(VncDisplaySchema) }),
  }),
  'vnc.open': command({
    description:
      "A single-use token for one connection to a graphical agent's display through the host's VNC proxy: " +
      'view-only, or in control (takeover is explicit). Waits for a display that is still starting.',
    args: z
      .object({
        pid: PidSchema,
        mode: VncModeSchema.default('view'),
      })
      .strict(),
    result: VncTicketSchema,
  }),
  'vnc.handBack': command({
    description:
      "Ends every control session on an agent's display (view-only viewers stay): the agent has it back.",
    args: z.object({ pid: PidSchema }).strict(),
    result: z.object({ pid: PidSchema, closed: z.number().int().nonnegative() }),
  }),
  'vnc.exec': command({
    description:
      "Starts a graphical program on the agent's display, in its sandbox, and returns at once; it runs as the " +
      "agent's own program (signals to the agent reach it).",
    args: z
      .object({
        pid: PidSchema,
        argv: ArgvSchema,
        env: EnvSchema.optional(),
      })
      .strict(),
    result: z.object({
      pid: PidSchema,
      /** Its process id inside the sandbox. */
      osPid: z.number().int().positive(),
    }),
  }),
  'vnc.screenshot': command({
    description: "The agent's screen as a PNG, read from its display's framebuffer.",
    args: z.object({ pid: PidSchema }).strict(),
    result: z.object({
      pid: PidSchema,
      width: z.number().int().positive(),
      height: z.number().int().positive(),
      mimeType: z.literal('image/png'),
      /** Base64. */
      data: z.string(),
    }),
  }),
};

export const vncEvents = {
  'vnc.started': event({
    description:
      "A graphical agent's display is ready (at spawn, after a restart of one of its parts, after the kernel " +
      're-attached the agent); published on vnc.started.<pid>.',
    payload: VncDisplaySchema,
    coalesceBy: 'pid',
  }),
  'vnc.stopped': event({
    description:
      "A graphical agent's display went away: the agent ended, or the display failed (reason says why); " +
      'published on vnc.stopped.<pid>.',
    payload: VncDisplaySchema,
    coalesceBy: 'pid',
  }),
};
