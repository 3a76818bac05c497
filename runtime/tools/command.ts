import { z } from 'zod';
import { assessCommand } from '../approvals/index.js';
import { clip } from './paths.js';
import { defineTool, type ExecResult } from './types.js';

export const COMMAND_DEFAULT_TIMEOUT_S = 60;
export const COMMAND_MAX_TIMEOUT_S = 600;
/** Bytes the sandbox keeps of stdout and of stderr each. */
export const COMMAND_OUTPUT_CAP = 64 * 1024;
/** Characters of output the model reads per command. */
const MODEL_OUTPUT_CHARS = 16 * 1024;

export const runCommand = defineTool({
  name: 'run_command',
  description:
    'Run a shell command (bash) in your sandbox, starting in your home folder, and get its exit code and output. ' +
    'It has no terminal: it must not wait for keyboard input (pass input to feed its standard input). ' +
    `Default timeout ${COMMAND_DEFAULT_TIMEOUT_S} s.`,
  parameters: z.object({
    command: z.string().min(1).max(100_000).describe('The command line, e.g. "ls -la"'),
    timeout_seconds: z
      .number()
      .int()
      .min(1)
      .max(COMMAND_MAX_TIMEOUT_S)
      .optional()
      .describe('Ends the command after this long'),
    input: z
      .string()
      .max(1024 * 1024)
      .optional()
      .describe('Text for its standard input'),
  }),
  assess: (args, host) => assessCommand(args.command, { homeAliases: host.homeAliases }),
  async handler(args, ctx) {
    const timeoutMs = (args.timeout_seconds ?? COMMAND_DEFAULT_TIMEOUT_S) * 1000;
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
