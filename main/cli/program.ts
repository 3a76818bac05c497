import { Command, CommanderError, Option } from 'commander';
import { HabitatError, isCommandName, type CommandName } from '../../shared/protocol/index.js';
import { defaultDataDir } from '../../kernel/index.js';
import { DEFAULT_PORT, LOOPBACK, startHeadlessHost } from '../host/HeadlessHost.js';
import { HABITAT_VERSION } from '../version.js';
import { connect, type ConnectFlags } from './connect.js';
import { formatInfo } from './format.js';

/** Exit codes are part of the CLI's scripting interface (README.md). */
export const EXIT = { ok: 0, error: 1, usage: 2, unavailable: 3 } as const;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const defaultIo: CliIo = {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
};

interface GlobalFlags extends ConnectFlags {
  json?: boolean;
}

export function buildProgram(io: CliIo = defaultIo, setExit: (code: number) => void = () => {}): Command {
  const program = new Command('habitat')
    .description('Habitat: a desktop operating system for AI agents')
    .version(HABITAT_VERSION)
    .option('--json', 'machine-readable output')
    .option('--url <url>', 'host URL (default: HABITAT_URL, else run/host.json of the data folder)')
    .option('--token <token>', 'host token (default: HABITAT_TOKEN, else run/host.json)')
    .option('--data-dir <dir>', 'data folder (default: HABITAT_HOME, else ~/.habitat)')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride()
    .showHelpAfterError();

  const globals = (): GlobalFlags => program.opts<GlobalFlags>();

  /** Runs a client action; maps failures to the documented exit codes and error output. */
  const withClient =
    <A extends unknown[]>(
      action: (client: Awaited<ReturnType<typeof connect>>, ...args: A) => Promise<void>,
    ) =>
    async (...args: A): Promise<void> => {
      let client: Awaited<ReturnType<typeof connect>> | undefined;
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
        client?.close();
      }
    };

  const reportError = (error: unknown, exitCode: number): void => {
    const value =
      error instanceof HabitatError
        ? error.toValue()
        : { code: 'E_INTERNAL' as const, message: error instanceof Error ? error.message : String(error) };
    if (globals().json) io.out(JSON.stringify({ error: value }));
    else io.err(`habitat: ${value.code}: ${value.message}${formatDetails(value.details)}`);
    setExit(exitCode);
  };

  program
    .command('serve')
    .description('run the kernel headless and serve the UI and the bridge on one origin')
    .addOption(new Option('--host <address>', 'address to bind').default(LOOPBACK))
    .addOption(new Option('--port <port>', 'port (0 picks a free one)').default(String(DEFAULT_PORT)))
    .action(async (flags: { host: string; port: string }) => {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        io.err(`habitat: E_INVALID: --port must be 0..65535, not ${flags.port}`);
        setExit(EXIT.usage);
        return;
      }
      const dataDir = globals().dataDir ?? defaultDataDir();
      // Listen for signals before anything is printed: a supervisor may signal as soon as it reads the URL.
      let stopSignal: NodeJS.Signals | undefined;
      let onStop: ((signal: NodeJS.Signals) => void) | undefined;
      const stop = (signal: NodeJS.Signals): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        stopSignal = signal;
        onStop?.(signal);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      let host: Awaited<ReturnType<typeof startHeadlessHost>>;
      try {
        host = await startHeadlessHost({ host: flags.host, port, dataDir, token: process.env.HABITAT_TOKEN });
      } catch (error) {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        io.err(`habitat: E_UNAVAILABLE: ${error instanceof Error ? error.message : String(error)}`);
        setExit(EXIT.unavailable);
        return;
      }
      if (globals().json) {
        io.out(
          JSON.stringify({
            url: host.url,
            wsUrl: host.wsUrl,
            port: host.port,
            token: host.token,
            dataDir,
            pid: process.pid,
          }),
        );
      } else {
        io.out(`Habitat ${HABITAT_VERSION} (headless) serving at ${host.url}`);
        io.out(`  data folder ${dataDir}`);
        if (flags.host !== LOOPBACK && flags.host !== 'localhost') {
          io.err(
            `warning: listening on ${flags.host}: anyone who can reach it and holds the token controls your agents`,
          );
        }
      }
      const signal = stopSignal ?? (await new Promise<NodeJS.Signals>((resolve) => (onStop = resolve)));
      if (!globals().json) io.out(`received ${signal}, shutting down`);
      await host.close();
    });

  program
    .command('info')
    .description("show the kernel's status and its host")
    .action(
      withClient(async (client) => {
        const info = await client.call('system.info', {});
        io.out(globals().json ? JSON.stringify(info) : formatInfo(info));
      }),
    );

  program
    .command('call')
    .description('call any protocol command, e.g. habitat call system.ping \'{"nonce":"x"}\'')
    .argument('<command>', 'command name')
    .argument('[args]', 'arguments as JSON', '{}')
    .action(
      withClient(async (client, command: string, rawArgs: string) => {
        let args: unknown;
        try {
          args = JSON.parse(rawArgs);
        } catch {
          throw new HabitatError('E_INVALID', `arguments are not valid JSON: ${rawArgs}`);
        }
        if (!isCommandName(command)) throw new HabitatError('E_NOT_FOUND', `unknown command: ${command}`);
        const result = await client.call(command as CommandName, args as never);
        io.out(globals().json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
      }),
    );

  return program;
}

function formatDetails(details: unknown): string {
  if (details === undefined) return '';
  const issues = (details as { issues?: { path: string; message: string }[] }).issues;
  if (Array.isArray(issues)) return issues.map((i) => `\n  ${i.path}: ${i.message}`).join('');
  return `\n  ${JSON.stringify(details)}`;
}

/** Parses argv and runs; resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      const benign = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
      return benign ? EXIT.ok : EXIT.usage;
    }
    throw error;
  }
  return code;
}
