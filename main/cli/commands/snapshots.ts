import { resolve } from 'node:path';
import {
  HabitatError,
  type CheckpointSettings,
  type RestoreResult,
  type RollbackResult,
  type SnapshotInfo,
  type SnapshotProgress,
} from '../../../shared/protocol/index.js';
import { intArg, parsePid, pidArg, type CliContext } from '../context.js';
import { formatBytes, formatDuration, table } from '../format.js';
import { parseCount } from './processes.js';

/** Snapshots of big homes take a while: progress shows meanwhile, and the call may take this long. */
const LONG_CALL_MS = 60 * 60_000;

export function formatSnapshots(snapshots: SnapshotInfo[], storeBytes: number): string {
  const rows = snapshots.map((s) => [
    s.id,
    String(s.pid),
    s.name,
    s.kind,
    s.sandbox,
    String(s.files),
    formatBytes(s.bytes),
    formatBytes(s.storedBytes),
    s.createdAt.slice(0, 19).replace('T', ' '),
    s.label ?? '',
  ]);
  const head = ['ID', 'PID', 'NAME', 'KIND', 'SANDBOX', 'FILES', 'SIZE', 'STORED', 'CREATED', 'LABEL'];
  return `${table(head, rows)}\nstore: ${formatBytes(storeBytes)} on disk (deduplicated)`;
}

export function formatSnapshot(s: SnapshotInfo): string {
  const notes = [
    s.skipped ? `${s.skipped} skipped (special files, links out of the home)` : '',
    s.quiesced ? '' : 'taken mid-step (the loop did not reach a boundary in time)',
  ].filter(Boolean);
  return (
    `${s.id}: ${s.files} files, ${s.dirs} folders, ${s.symlinks} links, ${formatBytes(s.bytes)}; ` +
    `${formatBytes(s.storedBytes)} new to the store; ${formatDuration(s.durationMs)}` +
    notes.map((n) => `\n  ${n}`).join('')
  );
}

function formatRestore(result: RestoreResult): string {
  const p = result.process;
  const lines = [
    `${p.pid} (${p.name}, ${p.sandbox.kind}) from ${result.snapshot} in ${formatDuration(result.durationMs)}`,
  ];
  for (const warning of result.warnings) lines.push(`  warning: ${warning}`);
  return lines.join('\n');
}

function formatRollback(result: RollbackResult): string {
  const to = result.step === null ? result.snapshot : `${result.snapshot} (step ${result.step})`;
  const lines = [`${result.pid} went back to ${to} in ${formatDuration(result.durationMs)}`];
  for (const warning of result.warnings) lines.push(`  warning: ${warning}`);
  return lines.join('\n');
}

function formatCheckpoints(c: CheckpointSettings): string {
  return c.enabled
    ? `${c.pid}: a checkpoint after every step, the last ${c.keep} kept`
    : `${c.pid}: no checkpoints`;
}

function formatProgress(p: SnapshotProgress): string {
  const of = p.total === null ? `${p.done}` : `${p.done}/${p.total}`;
  const bytes = p.bytes ? ` ${formatBytes(p.bytes)}` : '';
  return `[${p.op}] ${p.phase} ${of}${bytes}${p.message ? ` ${p.message}` : ''}`;
}

export function registerSnapshots(ctx: CliContext): void {
  const { program, print, withClient, io, globals } = ctx;
  const snapshot = program
    .command('snapshot')
    .description('snapshots of agents: save, restore, fork, move them');

  /** Shows progress lines on stderr (at most one a second, and every phase change) while a call runs. */
  const withProgress = async <T>(
    client: Parameters<Parameters<typeof withClient>[0]>[0],
    op: SnapshotProgress['op'],
    call: () => Promise<T>,
  ): Promise<T> => {
    let last = 0;
    let phase = '';
    const unsubscribe = client.subscribe('snapshot.progress', (payload) => {
      const p = payload as SnapshotProgress;
      if (globals().json || p.op !== op) return;
      const now = Date.now();
      if (p.phase === phase && now - last < 1000) return;
      phase = p.phase;
      last = now;
      io.err(formatProgress(p));
    });
    try {
      return await call();
    } finally {
      unsubscribe();
    }
  };

  snapshot
    .command('create')
    .description(
      'snapshot an agent: its home, configuration, loop state and mailbox (it is paused meanwhile)',
    )
    .argument('<pid>', 'kernel PID', pidArg)
    .option('--label <text>', 'a label to recognize it by')
    .option(
      '--wait <ms>',
      'how long to wait for the loop to reach a step boundary',
      intArg('--wait', 0),
      5000,
    )
    .action(
      withClient(async (client, pid: number, flags: { label?: string; wait: number }) => {
        const info = await withProgress(client, 'create', () =>
          client.call(
            'snapshot.create',
            { pid, label: flags.label, waitMs: flags.wait },
            { timeoutMs: LONG_CALL_MS },
          ),
        );
        print(info, () => formatSnapshot(info));
      }),
    );

  snapshot
    .command('ls')
    .description('list snapshots')
    .option('--pid <pid>', 'only those of this agent')
    .action(
      withClient(async (client, flags: { pid?: string }) => {
        const result = await client.call('snapshot.list', flags.pid ? { pid: parsePid(flags.pid) } : {});
        print(result, () => formatSnapshots(result.snapshots, result.storeBytes));
      }),
    );

  snapshot
    .command('restore')
    .description('start a new agent (a new PID) from a snapshot')
    .argument('<id>', 'snapshot id')
    .option('--name <name>', 'name of the new agent (default: the original name)')
    .action(
      withClient(async (client, id: string, flags: { name?: string }) => {
        const result = await withProgress(client, 'restore', () =>
          client.call('snapshot.restore', { id, name: flags.name }, { timeoutMs: LONG_CALL_MS }),
        );
        print(result, () => formatRestore(result));
      }),
    );

  snapshot
    .command('fork')
    .description('snapshot a running agent and start the copy as a new agent; the original runs on')
    .argument('<pid>', 'kernel PID', pidArg)
    .option('--name <name>', 'name of the copy (default: <name>-fork)')
    .option('--label <text>', 'label of the snapshot taken')
    .action(
      withClient(async (client, pid: number, flags: { name?: string; label?: string }) => {
        const result = await withProgress(client, 'restore', () =>
          client.call(
            'snapshot.fork',
            { pid, name: flags.name, label: flags.label },
            { timeoutMs: LONG_CALL_MS },
          ),
        );
        print(result, () => formatRestore(result));
      }),
    );

  snapshot
    .command('rollback')
    .description(
      'take a live agent back, in place (same PID), to one of its snapshots or checkpoints: files, conversation, mailbox',
    )
    .argument('<pid>', 'kernel PID', pidArg)
    .argument('<id>', 'one of its snapshots or checkpoints (snapshot ls --pid PID)')
    .option(
      '--wait <ms>',
      'how long to wait for the loop to reach a step boundary',
      intArg('--wait', 0),
      5000,
    )
    .action(
      withClient(async (client, pid: number, id: string, flags: { wait: number }) => {
        const result = await withProgress(client, 'rollback', () =>
          client.call('snapshot.rollback', { pid, id, waitMs: flags.wait }, { timeoutMs: LONG_CALL_MS }),
        );
        print(result, () => formatRollback(result));
      }),
    );

  snapshot
    .command('checkpoints')
    .description("show or change an agent's automatic checkpoints (one after every step of its loop)")
    .argument('<pid>', 'kernel PID')
    .argument('[state]', 'on or off (leave out to show the setting)')
    .option('--keep <n>', 'how many of the latest checkpoints are kept')
    .action(
      withClient(async (client, pidText: string, state: string | undefined, flags: { keep?: string }) => {
        if (state !== undefined && state !== 'on' && state !== 'off') {
          throw new HabitatError('E_INVALID', `checkpoints ${state}: say on or off`);
        }
        const result = await client.call('snapshot.checkpoints', {
          pid: parsePid(pidText),
          ...(state === undefined ? {} : { enabled: state === 'on' }),
          ...(flags.keep === undefined ? {} : { keep: parseCount(flags.keep, '--keep') }),
        });
        print(result, () => formatCheckpoints(result));
      }),
    );

  snapshot
    .command('rm')
    .description('delete a snapshot (content no other snapshot uses is freed)')
    .argument('<id>', 'snapshot id')
    .action(
      withClient(async (client, id: string) => {
        const result = await client.call('snapshot.delete', { id });
        print(result, () => `${result.id} deleted, ${formatBytes(result.freedBytes)} freed`);
      }),
    );

  snapshot
    .command('export')
    .description('write a snapshot as one tar file (a path on the kernel host)')
    .argument('<id>', 'snapshot id')
    .argument('<file>', 'where to write it')
    .option('--gzip', 'compress it')
    .option('--force', 'replace the file if it exists')
    .action(
      withClient(async (client, id: string, file: string, flags: { gzip?: boolean; force?: boolean }) => {
        const result = await withProgress(client, 'export', () =>
          client.call(
            'snapshot.export',
            { id, path: resolve(file), gzip: flags.gzip ?? false, overwrite: flags.force ?? false },
            { timeoutMs: LONG_CALL_MS },
          ),
        );
        print(result, () => `${result.path}: ${formatBytes(result.bytes)}`);
      }),
    );

  snapshot
    .command('import')
    .description('add a snapshot file written by export (checked entirely before it is added)')
    .argument('<file>', 'the file (a path on the kernel host)')
    .action(
      withClient(async (client, file: string) => {
        const info = await withProgress(client, 'import', () =>
          client.call('snapshot.import', { path: resolve(file) }, { timeoutMs: LONG_CALL_MS }),
        );
        print(info, () => formatSnapshot(info));
      }),
    );
}
