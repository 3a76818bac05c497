import { InvalidArgumentError, type Command } from 'commander';
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
  /**
   * Wraps an action that needs the host. The client connects on its first use, so what an action checks before
   * that (its arguments) needs no host: an E_INVALID thrown then is a usage error, exit 2. A host that cannot be
   * reached, or whose connection drops, exits 3; an error value exits 1 (E_INVALID included: the host found it).
   */
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
        const lazy = lazyClient(() => connect(globals()));
        try {
          await Promise.race([action(lazy.client, ...args), lazy.failed]);
        } catch (error) {
          reportError(error, lazy.exitCodeFor(error));
        } finally {
          lazy.close();
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

/**
 * The client an action gets: it connects on first use (call, subscribe, onConnectionChange). `failed` rejects
 * when the connection cannot be opened, so an action waiting on events alone still ends; exitCodeFor tells a usage
 * error (E_INVALID before any use, or a malformed --url) from a host out of reach and from an error value.
 */
function lazyClient(open: () => Promise<WebSocketClient>): {
  client: WebSocketClient;
  failed: Promise<never>;
  exitCodeFor(error: unknown): number;
  close(): void;
} {
  let real: WebSocketClient | undefined;
  let pending: Promise<WebSocketClient> | undefined;
  let connectError: unknown;
  let lost = false;
  let closing = false;
  let fail: (error: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {});
  const ready = (): Promise<WebSocketClient> =>
    (pending ??= (async () => open())().then(
      (client) => {
        real = client;
        client.onConnectionChange((state) => {
          if (state === 'closed' && !closing) lost = true;
        });
        return client;
      },
      (error: unknown) => {
        connectError = error;
        fail(error);
        throw error;
      },
    ));
  /** A registration (subscribe, onConnectionChange) made before the connection is open: done once it is. */
  const deferred = (register: (client: WebSocketClient) => () => void): (() => void) => {
    if (real) return register(real);
    let off: (() => void) | undefined;
    let cancelled = false;
    ready().then(
      (client) => {
        if (!cancelled) off = register(client);
      },
      () => {},
    );
    return () => {
      cancelled = true;
      off?.();
    };
  };
  const client = {
    call: (...args: Parameters<WebSocketClient['call']>) =>
      ready().then((c) => c.call(...(args as Parameters<WebSocketClient['call']>))),
    subscribe: (pattern: string, listener: (payload: unknown, topic: string) => void) =>
      deferred((c) => c.subscribe(pattern, listener)),
    onConnectionChange: (listener: Parameters<WebSocketClient['onConnectionChange']>[0]) =>
      deferred((c) => c.onConnectionChange(listener)),
    getConnectionState: () => real?.getConnectionState() ?? 'connecting',
    close: () => {
      closing = true;
      real?.close();
    },
  } as unknown as WebSocketClient;
  return {
    client,
    failed,
    close: () => {
      closing = true;
      real?.close();
      pending?.then((c) => c.close()).catch(() => {});
    },
    exitCodeFor: (error) => {
      const code = error instanceof HabitatError ? error.code : undefined;
      if (error === connectError) return code === 'E_INVALID' ? EXIT.usage : EXIT.unavailable;
      if (!pending && code === 'E_INVALID') return EXIT.usage;
      if (lost && code === 'E_UNAVAILABLE') return EXIT.unavailable;
      return EXIT.error;
    },
  };
}

/** A usage error: thrown by an action before it uses the client, it exits 2 (an argParser's exits 2 too). */
export function usageError(message: string): HabitatError {
  return new HabitatError('E_INVALID', message);
}

/** Parses a positive kernel PID argument or throws E_INVALID. */
export function parsePid(text: string): number {
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid <= 0) throw new HabitatError('E_INVALID', `not a PID: ${text}`);
  return pid;
}

/**
 * commander argParsers, so that a bad value is a usage error (exit 2) found before the CLI connects:
 * `.option('--timeout <ms>', 'kill it after…', intArg('--timeout', 1), 60000)`.
 */
export function intArg(flag: string, min = 0): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isInteger(value) || value < min)
      throw new InvalidArgumentError(`${flag} must be an integer of at least ${min}, not ${text}`);
    return value;
  };
}

/** argParser for a kernel PID argument: `.argument('<pid>', 'kernel PID', pidArg)`. */
export function pidArg(text: string): number {
  try {
    return parsePid(text);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof Error ? error.message : String(error));
  }
}
