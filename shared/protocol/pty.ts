import { z } from 'zod';
import { command, event } from './define.js';
import { PidSchema } from './process.js';

export const TerminalIdSchema = z.number().int().positive();
const cols = z.number().int().min(1).max(1000);
const rows = z.number().int().min(1).max(1000);

export const TerminalInfoSchema = z.object({
  terminal: TerminalIdSchema,
  pid: PidSchema,
  /** The host process behind the terminal; null inside a container (an exec has none of its own). */
  osPid: z.number().int().nullable(),
  cols,
  rows,
  main: z.boolean(),
});
export type TerminalInfo = z.infer<typeof TerminalInfoSchema>;

export const ScreenSchema = z.object({
  cols,
  rows,
  cursor: z.object({ x: z.number().int(), y: z.number().int() }),
  lines: z.array(z.string()),
});
export type Screen = z.infer<typeof ScreenSchema>;

const ref = z.object({ terminal: TerminalIdSchema });

export const ptyCommands = {
  'pty.list': command({
    description: "An agent's terminals (or every terminal).",
    args: z.object({ pid: PidSchema.optional() }).strict(),
    result: z.object({ terminals: z.array(TerminalInfoSchema) }),
  }),
  'pty.open': command({
    description: "Open another terminal (a shell) in the agent's sandbox.",
    args: z.object({ pid: PidSchema, cols: cols.default(80), rows: rows.default(24) }).strict(),
    result: TerminalInfoSchema,
  }),
  'pty.attach': command({
    description:
      'Start receiving pty.data.<terminal> events on this connection. Returns what reproduces the current screen and scrollback. Acknowledge rendered characters with pty.ack.',
    args: ref.strict(),
    result: z.object({ terminal: TerminalIdSchema, cols, rows, replay: z.string() }),
  }),
  'pty.detach': command({
    description: 'Stop receiving this terminal on this connection.',
    args: ref.strict(),
    result: z.object({}),
  }),
  'pty.ack': command({
    description:
      'Acknowledge output rendered, releasing flow-control credit: `chars` counts in the units pty.data carried, characters of text data and bytes of binary (Uint8Array) data. Over WebSocket it may come as a binary frame (shared/protocol/frames.ts), which gets no answer.',
    args: ref.extend({ chars: z.number().int().min(1).max(1e9) }).strict(),
    result: z.object({}),
  }),
  'pty.input': command({
    description: 'Type into the terminal. Large input is written in small chunks.',
    args: ref
      .extend({
        data: z
          .string()
          .min(1)
          .max(1024 * 1024),
      })
      .strict(),
    result: z.object({}),
  }),
  'pty.resize': command({
    description: 'Resize the terminal; the program receives SIGWINCH.',
    args: ref.extend({ cols, rows }).strict(),
    result: z.object({}),
  }),
  'pty.screen': command({
    description:
      "The terminal's current screen, from the kernel's headless terminal (for previews). With `pid` instead of " +
      "`terminal`: the screen of the agent's terminal in use now, the one it opened last that is still open (a " +
      'command it runs), else its main terminal; `terminal` in the result says which.',
    args: z.union([ref.strict(), z.object({ pid: PidSchema }).strict()]),
    result: ScreenSchema.extend({ terminal: TerminalIdSchema.optional() }),
  }),
  'pty.close': command({
    description: 'Close an extra terminal (the main one ends with its process).',
    args: ref.strict(),
    result: z.object({}),
  }),
};

export const ptyEvents = {
  'pty.data': event({
    description:
      'Terminal output, batched; sent on pty.data.<terminal> to attached connections only. Over WebSocket `data` is the UTF-8 bytes (a Uint8Array ending with a whole character), elsewhere text.',
    payload: z.object({ terminal: TerminalIdSchema, data: z.union([z.string(), z.instanceof(Uint8Array)]) }),
  }),
  'pty.exit': event({
    description:
      'The terminal program exited; sent on pty.exit.<terminal>. exitCode is as a shell reports it: 128 + signal when a signal ended the program.',
    payload: z.object({
      terminal: TerminalIdSchema,
      exitCode: z.number().int().nullable(),
      signal: z.number().int().nullable(),
    }),
  }),
};
