import { z } from 'zod';
import { assessCommand, assessCommandInput } from '../approvals/index.js';
import { clip } from './paths.js';
import { commandSessions, type CommandSession, type Settled } from './sessions.js';
import { defineTool, type ExecResult, type ToolContext, type ToolOutput } from './types.js';

export const COMMAND_DEFAULT_TIMEOUT_S = 60;
export const COMMAND_MAX_TIMEOUT_S = 600;
/** Bytes the sandbox keeps of stdout and of stderr each. */
export const COMMAND_OUTPUT_CAP = 64 * 1024;
/** Characters of output the model reads per command. */
const MODEL_OUTPUT_CHARS = 16 * 1024;

/** What a command on a terminal gets besides the sandbox's environment: no pagers to quit, no colours to read. */
const TERMINAL_ENV = [
  'PAGER=cat',
  'GIT_PAGER=cat',
  'MANPAGER=cat',
  'SYSTEMD_PAGER=cat',
  'TERM=dumb',
  'NO_COLOR=1',
];

const timeoutSeconds = z
  .number()
  .int()
  .min(1)
  .max(COMMAND_MAX_TIMEOUT_S)
  .optional()
  .describe('How long to wait; a command that is still busy then (not waiting for input) is killed');

export const runCommand = defineTool({
  name: 'run_command',
  description:
    'Run a shell command (bash) in your sandbox, starting in your home folder, on a terminal of its own. It returns ' +
    'when the command ends, with its exit code and output; or, when the command waits for keyboard input (a ' +
    'prompt, a question, a password), at once with the output so far and a session number: answer with ' +
    'send_input, or use ask_human when only a person knows the answer. With input, the command gets that text as ' +
    'its standard input instead and runs without a terminal (stdout and stderr apart). ' +
    `Default timeout ${COMMAND_DEFAULT_TIMEOUT_S} s.`,
  parameters: z.object({
    command: z.string().min(1).max(100_000).describe('The command line, e.g. "ls -la"'),
    timeout_seconds: timeoutSeconds,
    input: z
      .string()
      .max(1024 * 1024)
      .optional()
      .describe('Text for its standard input, given all at once (no terminal then)'),
  }),
  // the input is looked at too: given to a shell (or another interpreter) it is the script that runs
  assess: (args, host) => {
    const options = { homeAliases: host.homeAliases };
    const reasons = assessCommand(args.command, options);
    if (args.input === undefined) return reasons;
    return [...new Set([...reasons, ...assessCommandInput(args.command, args.input, options)])];
  },
  async handler(args, ctx) {
    const timeoutMs = (args.timeout_seconds ?? COMMAND_DEFAULT_TIMEOUT_S) * 1000;
    if (args.input === undefined && ctx.host.startProgram) {
      const sessions = commandSessions(ctx.host);
      const session = sessions.start(args.command, ['env', ...TERMINAL_ENV, '/bin/bash', '-c', args.command]);
      return report(
        session,
        await session.settle(timeoutMs, ctx.signal, runningClock(ctx)),
        timeoutMs,
        ctx,
        `$ ${clip(args.command, 500)}`,
      );
    }
    const result = await ctx.host.exec(['/bin/bash', '-c', args.command], {
      timeoutMs,
      maxOutputBytes: COMMAND_OUTPUT_CAP,
      ...(args.input === undefined ? {} : { input: args.input }),
      signal: ctx.signal,
    });
    return {
      content: describeRun(args.command, result, timeoutMs),
      data: {
        command: args.command,
        exitCode: result.exitCode,
        signal: result.signal,
        stdout: result.stdout,
        stderr: result.stderr,
        truncated: result.truncated,
        timedOut: result.timedOut,
        durationMs: result.durationMs,
      },
    };
  },
});

/** Control keys send_input can press, as the terminal sends them. */
const CONTROL_KEYS = { interrupt: '\x03', eof: '\x04' } as const;

export const sendInput = defineTool({
  name: 'send_input',
  description:
    'Type into a command that run_command left running because it waits for input: the text, then Enter ' +
    '(unless enter is false). control "interrupt" presses Ctrl-C, "eof" Ctrl-D (end of input), "kill" ends it. ' +
    'With no text and no control it just waits for more output. Returns like run_command: when the command ends ' +
    'or waits for input again, with the output since the last look.',
  parameters: z.object({
    session: z.number().int().positive().describe('The session number run_command gave'),
    text: z.string().max(100_000).default('').describe('What to type, e.g. "yes" or a name'),
    enter: z.boolean().default(true).describe('Press Enter after the text'),
    control: z.enum(['interrupt', 'eof', 'kill']).optional(),
    timeout_seconds: timeoutSeconds,
  }),
  // what is typed into a shell prompt is a command: it is looked at like one
  assess: (args, host) => (args.text ? assessCommand(args.text, { homeAliases: host.homeAliases }) : []),
  async handler(args, ctx) {
    const timeoutMs = (args.timeout_seconds ?? COMMAND_DEFAULT_TIMEOUT_S) * 1000;
    const sessions = commandSessions(ctx.host);
    const session = sessions.get(args.session);
    const typed = args.text + (args.enter && args.text ? '\r' : '');
    const sent = [
      typed ? `typed ${JSON.stringify(clip(args.text, 200))}${args.enter ? ' and Enter' : ''}` : '',
      args.control === 'kill' ? 'killed it' : '',
      args.control === 'eof' ? 'pressed Ctrl-D' : args.control === 'interrupt' ? 'pressed Ctrl-C' : '',
    ].filter(Boolean);
    const head = `[session ${session.id}: ${sent.length ? sent.join(', ') : 'waited for more output'}]`;
    if (session.exit)
      return report(session, 'exited', timeoutMs, ctx, `${head}\nnothing was sent: it had already ended`);
    if (args.control === 'kill') {
      await session.close();
      return report(session, 'exited', timeoutMs, ctx, head);
    }
    try {
      if (typed) await session.write(typed);
      if (args.control) await session.write(CONTROL_KEYS[args.control]);
    } catch {
      // it ended as the text went out: what it printed says the rest
    }
    return report(
      session,
      await session.settle(timeoutMs, ctx.signal, runningClock(ctx)),
      timeoutMs,
      ctx,
      head,
    );
  },
});

/** A terminal command's state for the model: what it printed since the last look, and what to do next. */
async function report(
  session: CommandSession,
  outcome: Settled,
  timeoutMs: number,
  ctx: ToolContext,
  head: string,
): Promise<ToolOutput> {
  const { text, dropped } = session.read();
  const durationMs = Date.now() - session.startedAt;
  const exit = session.exit;
  if (outcome !== 'waiting') await commandSessions(ctx.host).finish(session);
  const status =
    outcome === 'waiting'
      ? `still running: it waits for input (session ${session.id})`
      : outcome === 'timeout'
        ? `timed out after ${Math.round(timeoutMs / 1000)} s and was killed`
        : exit?.signal
          ? `killed by ${exit.signal}`
          : `exit code ${exit?.exitCode ?? 'unknown'}`;
  const output = text.replace(/\n+$/, '');
  const parts = [
    head,
    `${status} (${durationMs} ms)`,
    output ? clip(output, MODEL_OUTPUT_CHARS) : '(no output)',
  ];
  if (dropped > 0) parts.push(`[output truncated: ${dropped} characters in the middle were not kept]`);
  if (outcome === 'waiting') {
    parts.push(
      `[answer with send_input {"session": ${session.id}, "text": "..."}; ask_human if only a person knows ` +
        `the answer; send_input {"session": ${session.id}, "control": "interrupt"} stops it]`,
    );
  }
  return {
    content: parts.join('\n'),
    data: {
      command: session.command,
      session: session.id,
      state: outcome,
      exitCode: exit?.exitCode ?? null,
      signal: exit?.signal ?? null,
      output: text,
      dropped,
      timedOut: outcome === 'timeout',
      durationMs,
    },
  };
}

/** The model's view of a run: status first, then output, with every cut said out loud. */
export function describeRun(command: string, result: ExecResult, timeoutMs: number): string {
  const status = result.timedOut
    ? `timed out after ${Math.round(timeoutMs / 1000)} s and was killed`
    : result.signal
      ? `killed by ${result.signal}`
      : `exit code ${result.exitCode ?? 'unknown'}`;
  const parts = [`$ ${clip(command, 500)}`, `${status} (${result.durationMs} ms)`];
  const half = MODEL_OUTPUT_CHARS / 2;
  if (result.stdout)
    parts.push(clip(result.stdout.replace(/\n$/, ''), result.stderr ? half : MODEL_OUTPUT_CHARS));
  if (result.stderr)
    parts.push(
      `[stderr]\n${clip(result.stderr.replace(/\n$/, ''), result.stdout ? half : MODEL_OUTPUT_CHARS)}`,
    );
  if (!result.stdout && !result.stderr) parts.push('(no output)');
  if (result.truncated)
    parts.push(`[output truncated: only the first ${COMMAND_OUTPUT_CAP} bytes of each stream were kept]`);
  return parts.join('\n');
}

/** What a command's timeout counts: the agent's running time where the host knows it (a STOP does not count). */
function runningClock(ctx: ToolContext): () => number {
  const { host } = ctx;
  return host.runningMs ? () => host.runningMs!() : Date.now;
}
