import type { Command } from 'commander';
import type { WebSocketClient } from '../../shared/client/index.js';
import { HabitatError } from '../../shared/protocol/index.js';
import { connect, type ConnectFlags } from './connect.js';

/** Exit codes are part of the CLI's scripting interface (README.md). */
export const EXIT = { ok: 0, error: 1, usage: 2, unavailable: 3 } as const;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Raw output without a newline (terminal bytes, file contents). */
  write(data: string | Uint8Array): void;
}

export interface GlobalFlags extends ConnectFlags {
  json?: boolean;
}

/** What every verb module gets: output, global flags, exit codes, and a connected client on demand. */
export interface CliContext {
  program: Command;
  io: CliIo;
  globals(): GlobalFlags;
  setExit(code: number): void;
  /** Wraps an action that needs the host: connection failures exit 3, error values exit 1. */
  withClient<A extends unknown[]>(
    action: (client: WebSocketClient, ...args: A) => Promise<void>,
  ): (...args: A) => Promise<void>;
  reportError(error: unknown, exitCode: number): void;
  /** Prints a result: JSON with --json, else the human form. */
  print(value: unknown, human: () => string): void;
}

export function createContext(program: Command, io: CliIo, setExit: (code: number) => void): CliContext {
  const globals = (): GlobalFlags => program.opts<GlobalFlags>();
  const reportError = (error: unknown, exitCode: number): void => {
    const value =
      error instanceof HabitatError
        ? error.toValue()
        : { code: 'E_INTERNAL' as const, message: error instanceof Error ? error.message : String(error) };
    if (globals().json) io.out(JSON.stringify({ error: value }));
    else io.err(`habitat: ${value.code}: ${value.message}${formatDetails(value.details)}`);
    setExit(exitCode);
  };
  return {
    program,
    io,
    globals,
    setExit,
    reportError,
    print: (value, human) => io.out(globals().json ? JSON.stringify(value) : human()),
    withClient:
      (action) =>
      async (...args) => {
        let client: WebSocketClient;
        try {
          client = await connect(globals());
        } catch (error) {
          reportError(error, EXIT.unavailable);
          return;
        }
        try {
          await action(client, ...args);
        } catch (error) {
          reportError(error, EXIT.error);
        } finally {
          client.close();
        }
      },
  };
}

function formatDetails(details: unknown): string {
  if (details === undefined) return '';
  const issues = (details as { issues?: { path: string; message: string }[] }).issues;
  if (Array.isArray(issues)) return issues.map((i) => `\n  ${i.path}: ${i.message}`).join('');
  return `\n  ${JSON.stringify(details)}`;
}

/** Parses a positive kernel PID argument or throws E_INVALID. */
export function parsePid(text: string): number {
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid <= 0) throw new HabitatError('E_INVALID', `not a PID: ${text}`);
  return pid;
}
