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

const defaultIo: CliIo = {
  out: (text) => process.stdout.write(text + '\n'),
  err: (text) => process.stderr.write(text + '\n'),
  write: (data) => process.stdout.write(data),
};

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
