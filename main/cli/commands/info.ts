import { HabitatError, isCommandName, type CommandName } from '../../../shared/protocol/index.js';
import type { CliContext } from '../context.js';
import { formatInfo } from '../format.js';

export function registerInfo({ program, print, withClient, io, globals }: CliContext): void {
  program
    .command('info')
    .description("show the kernel's status and its host")
    .action(
      withClient(async (client) => {
        const info = await client.call('system.info', {});
        print(info, () => formatInfo(info));
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
}
