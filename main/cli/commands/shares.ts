import { Option } from 'commander';
import {
  HabitatError,
  MountModeSchema,
  type MountMode,
  type WorkspaceInfo,
} from '../../../shared/protocol/index.js';
import { parsePid, type CliContext } from '../context.js';
import { table } from '../format.js';

/** `--share NAME[:ro|rw]` of spawn (read-write by default). */
export function parseShare(text: string): { name: string; mode: 'ro' | 'rw' } {
  const [name = '', mode = 'rw', ...rest] = text.split(':');
  const parsed = MountModeSchema.safeParse(mode);
  if (!name || rest.length > 0 || !parsed.success) {
    throw new HabitatError('E_INVALID', `not a workspace to share: ${text} (NAME, NAME:ro or NAME:rw)`);
  }
  return { name, mode: parsed.data };
}

const pairs = (list: { pid: number; mode: string }[]) =>
  list.length ? list.map((g) => `${g.pid}:${g.mode}`).join(',') : '-';

export function formatWorkspaces(workspaces: WorkspaceInfo[]): string {
  return table(
    ['NAME', 'OWNER', 'GRANTS', 'MOUNTED BY', 'PATH'],
    workspaces.map((w) => [
      w.name,
      w.owner === null ? 'user' : String(w.owner),
      pairs(w.grants),
      pairs(w.mounts),
      w.path,
    ]),
  );
}

export function registerShares(ctx: CliContext): void {
  const { program, print, withClient } = ctx;
  const share = program
    .command('share')
    .description('shared workspaces, mounted into agents at ~/shared/<name>');

  share
    .command('create')
    .description('create a workspace, owned by an agent or by you')
    .argument('<name>', 'workspace name')
    .option('--owner <pid>', 'the agent that owns it')
    .action(
      withClient(async (client, name: string, flags: { owner?: string }) => {
        const info = await client.call('workspace.create', {
          name,
          ...(flags.owner ? { owner: parsePid(flags.owner) } : {}),
        });
        print(info, () => `${info.name} ${info.path}`);
      }),
    );

  share
    .command('ls')
    .description('list workspaces with their owner, grants and mounts')
    .action(
      withClient(async (client) => {
        const { workspaces } = await client.call('workspace.list', {});
        print(workspaces, () => formatWorkspaces(workspaces));
      }),
    );

  share
    .command('rm')
    .description('delete a workspace and its files')
    .argument('<name>', 'workspace name')
    .option('--force', 'even while agents mount it')
    .action(
      withClient(async (client, name: string, flags: { force?: boolean }) => {
        const result = await client.call('workspace.delete', { name, force: flags.force ?? false });
        print(result, () => `${result.name} deleted`);
      }),
    );

  share
    .command('grant')
    .description('let an agent mount a workspace read-only or read-write')
    .argument('<name>', 'workspace name')
    .argument('<pid>', 'kernel PID')
    .addOption(new Option('--mode <mode>', 'ro or rw').choices(MountModeSchema.options).default('ro'))
    .action(
      withClient(async (client, name: string, pidText: string, flags: { mode: MountMode }) => {
        const info = await client.call('workspace.grant', { name, pid: parsePid(pidText), mode: flags.mode });
        print(info, () => `${info.name}: ${pairs(info.grants)}`);
      }),
    );

  share
    .command('mount')
    .description(
      "mount a workspace into a host agent's next terminals and commands (containers: spawn --share)",
    )
    .argument('<name>', 'workspace name')
    .argument('<pid>', 'kernel PID')
    .option('--ro', 'read-only')
    .action(
      withClient(async (client, name: string, pidText: string, flags: { ro?: boolean }) => {
        const mount = await client.call('workspace.mount', {
          name,
          pid: parsePid(pidText),
          mode: flags.ro ? 'ro' : 'rw',
        });
        print(mount, () => `${mount.name} at ${mount.target} of ${mount.pid} (${mount.mode})`);
      }),
    );
}
