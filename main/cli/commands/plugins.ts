import { resolve } from 'node:path';
import { HabitatError, type PluginList } from '../../../shared/protocol/index.js';
import { parsePid, type CliContext } from '../context.js';
import { table } from '../format.js';

export function formatPlugins(list: PluginList): string {
  const rows = list.plugins.flatMap((p) =>
    p.tools.map((t) => [p.name, p.version, t.name, p.requiresApproval ? 'yes' : 'no', t.description]),
  );
  const lines = [table(['PLUGIN', 'VERSION', 'TOOL', 'APPROVAL', 'DESCRIPTION'], rows)];
  for (const error of list.errors) {
    lines.push(`error: ${error.folder}: ${error.message}`);
    for (const issue of error.issues ?? []) lines.push(`  ${issue.path}: ${issue.message}`);
  }
  return lines.join('\n');
}

export function registerPlugins(ctx: CliContext): void {
  const { program, print, withClient, io, setExit } = ctx;
  const plugins = program.command('plugins').description("plugins in agents' homes (~/.config/plugins)");

  plugins
    .command('ls')
    .description("an agent's plugins and their tools, and the folders that fail to load")
    .argument('<pid>', 'kernel PID')
    .action(
      withClient(async (client, pidText: string) => {
        const list = await client.call('plugin.list', { pid: parsePid(pidText) });
        print(list, () => formatPlugins(list));
      }),
    );

  plugins
    .command('install')
    .description("copy a plugin folder (on the kernel host) into an agent's ~/.config/plugins")
    .argument('<pid>', 'kernel PID')
    .argument('<dir>', 'the plugin folder (with its manifest.json)')
    .option('--replace', 'replace an installed plugin of the same name')
    .action(
      withClient(async (client, pidText: string, dir: string, flags: { replace?: boolean }) => {
        const plugin = await client.call('plugin.install', {
          pid: parsePid(pidText),
          source: resolve(dir),
          replace: flags.replace ?? false,
        });
        print(
          plugin,
          () => `${plugin.name} ${plugin.version}: ${plugin.tools.map((t) => t.name).join(', ')}`,
        );
      }),
    );

  plugins
    .command('run')
    .description("call a plugin tool; it runs inside the agent's sandbox")
    .argument('<pid>', 'kernel PID')
    .argument('<plugin>', 'plugin name')
    .argument('<tool>', 'tool name')
    .argument('[json]', 'arguments as a JSON object', '{}')
    .action(
      withClient(async (client, pidText: string, plugin: string, tool: string, json: string) => {
        let args: unknown;
        try {
          args = JSON.parse(json);
        } catch {
          throw new HabitatError('E_INVALID', `the arguments are not JSON: ${json}`);
        }
        const result = await client.call(
          'plugin.run',
          { pid: parsePid(pidText), plugin, tool, arguments: args as Record<string, unknown> },
          { timeoutMs: 10 * 60_000 },
        );
        if (ctx.globals().json) io.out(JSON.stringify(result));
        else if (result.isError) io.err(result.content);
        else io.out(result.content);
        setExit(result.isError ? 1 : 0);
      }),
    );
}
