import { Command, CommanderError } from 'commander';
import { HABITAT_VERSION } from '../version.js';
import { registerAgents } from './commands/agents.js';
import { registerAttach } from './commands/attach.js';
import { registerFiles } from './commands/files.js';
import { registerGpus } from './commands/gpus.js';
import { registerImages } from './commands/images.js';
import { registerInfo } from './commands/info.js';
import { registerMessages } from './commands/messages.js';
import { registerPlugins } from './commands/plugins.js';
import { registerProcesses } from './commands/processes.js';
import { registerServe } from './commands/serve.js';
import { registerShares } from './commands/shares.js';
import { registerSnapshots } from './commands/snapshots.js';
import { registerVnc } from './commands/vnc.js';
import { createContext, EXIT, type CliIo } from './context.js';

export { EXIT, type CliIo } from './context.js';

/**
 * Standard output or error whose reader has gone (`habitat logs -f | head -1`, a FIFO closed by its reader) fails
 * its writes with EPIPE, reported as an 'error' event that would crash the process. The CLI marks the stream closed
 * instead and drops what it would have written there; see guardOutput for what the running verb then does.
 */
const closed = { stdout: false, stderr: false };

const defaultIo: CliIo = {
  out: (text) => void (closed.stdout || process.stdout.write(text + '\n')),
  err: (text) => void (closed.stderr || process.stderr.write(text + '\n')),
  write: (data) => void (closed.stdout || process.stdout.write(data)),
};

let guarded = false;

/**
 * Handles write errors of this process's standard output and error (EPIPE mostly). When standard output closes
 * while a verb runs, `onStdoutClosed` decides: a client verb stops there (its reader wants no more), `serve` serves
 * on and shuts down as usual on its signal.
 */
function guardOutput(onStdoutClosed: () => void): void {
  if (guarded) return;
  guarded = true;
  process.stdout.on('error', () => {
    if (closed.stdout) return;
    closed.stdout = true;
    onStdoutClosed();
  });
  process.stderr.on('error', () => {
    closed.stderr = true;
  });
}

export function buildProgram(io: CliIo = defaultIo, setExit: (code: number) => void = () => {}): Command {
  const program = new Command('habitat')
    .description('Habitat: a desktop operating system for AI agents')
    .version(HABITAT_VERSION)
    .option('--json', 'machine-readable output')
    .option('--url <url>', 'host URL (default: HABITAT_URL, else run/host.json of the data folder)')
    .option('--token <token>', 'host token (default: HABITAT_TOKEN, else run/host.json)')
    .option('--data-dir <dir>', 'data folder (default: HABITAT_HOME, else ~/.habitat)')
    // with --json a usage error is one JSON line on stdout (runCli), not commander's text and the help
    .configureOutput({
      writeOut: (s) => io.out(s.trimEnd()),
      writeErr: (s) => {
        if (!program.opts<{ json?: boolean }>().json) io.err(s.trimEnd());
      },
    })
    .exitOverride()
    .showHelpAfterError();
  const context = createContext(program, io, setExit);
  for (const register of [
    registerServe,
    registerInfo,
    registerProcesses,
    registerAgents,
    registerAttach,
    registerFiles,
    registerImages,
    registerGpus,
    registerSnapshots,
    registerShares,
    registerMessages,
    registerPlugins,
    registerVnc,
  ]) {
    register(context);
  }
  return program;
}

/** --json, as parsed, or as given before `--` when commander stopped before it got to it. */
function wantsJson(program: Command, argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (
    program.opts<{ json?: boolean }>().json === true ||
    argv.slice(0, end < 0 ? undefined : end).includes('--json')
  );
}

/** Parses argv and runs; resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => (code = c));
  let serving = false;
  let done = false;
  program.hook('preAction', (_program, action) => {
    serving = action.parent === program && action.name() === 'serve';
  });
  if (io === defaultIo) {
    // A reader that went away (`| head`) wanted no more output: like a Unix filter killed by SIGPIPE, a client verb
    // stops at once (exit status so far, 0 unless an error was reported). A finished verb exits as it would have.
    guardOutput(() => {
      if (!serving && !done) process.exit(code);
    });
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help, -V and `help VERB` asked for what they print; everything else commander stops on is a usage error:
      // an unknown verb or option, a missing or invalid argument, and a verb group without its verb (`habitat fs`,
      // bare `habitat`: the help goes to stderr).
      // (`habitat help` is commander.help with exit code 0, a missing verb the same with 1)
      const asked = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
      if (asked && error.exitCode === 0) return EXIT.ok;
      if (wantsJson(program, argv)) {
        const message =
          error.code === 'commander.help'
            ? 'a verb is needed (habitat --help lists them)'
            : error.message.replace(/^error: /, '');
        io.out(JSON.stringify({ error: { code: 'E_INVALID', message } }));
      }
      return EXIT.usage;
    }
    throw error;
  } finally {
    done = true;
  }
  return code;
}
