import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { Kernel } from '../Kernel.js';

const CRASHER = join(import.meta.dirname, 'testing', 'rollbackCrash.ts');

/** Runs a kernel that SIGKILLs itself at `point` of a rollback; returns what it printed before. */
async function crashDuringRollback(
  dataDir: string,
  point: string,
): Promise<{ pid: number; snapshot: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CRASHER, dataDir, point], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_c, s) => resolve(s)),
  );
  expect(signal, `the kernel was to die by SIGKILL at ${point}; stderr: ${stderr}`).toBe('SIGKILL');
  return JSON.parse(stdout.trim()) as { pid: number; snapshot: string };
}

/** What the agent's rollback is about, as a kernel opened after the crash finds it. */
async function stateAfterBoot(dataDir: string, pid: number) {
  const kernel = await Kernel.open({ dataDir, mode: 'headless', version: 'test', termGraceMs: 500 });
  try {
    const home = kernel.processes.home(pid);
    const documents = await fsp.readdir(join(home, 'Documents'));
    return {
      file: await fsp.readFile(join(home, 'Documents', 'state.txt'), 'utf8'),
      extra: documents.includes('new.txt'),
      conversation: kernel.store.messages(pid).length,
      mail: kernel.mailboxes.export(pid).map((m) => [m.body, m.readAt !== null]),
      recovery: kernel.store
        .latestEvents(null, 50)
        .map((e) => e.type)
        .filter((type) => type.startsWith('snapshot.rollback.')),
      journals: (await fsp.readdir(kernel.layout.homes)).filter((n) => n.startsWith('.rollback-')),
      ledger: kernel.store.database.prepare('SELECT COUNT(*) AS n FROM rollback_commits').get() as {
        n: number;
      },
    };
  } finally {
    await kernel.close();
  }
}

const AFTER = {
  file: 'changed after',
  extra: true,
  conversation: 2,
  mail: [
    ['read before the snapshot', true],
    ['read after the snapshot', true],
  ],
};
const SNAPSHOTTED = {
  file: 'as snapshotted',
  extra: false,
  conversation: 1,
  // mail that came after the snapshot is kept, unread: the agent as it was then never saw it
  mail: [
    ['read before the snapshot', true],
    ['read after the snapshot', false],
  ],
};

// A real kernel process killed by SIGKILL at each point of a rollback, and a new kernel on its data folder: files,
// conversation and mailbox are all as before the rollback, or all as the snapshot had them, never a mix.
describe('a rollback across a kernel crash', () => {
  const dirs: { cleanup(): void }[] = [];
  afterAll(() => dirs.forEach((dir) => dir.cleanup()));

  it.each([
    ['before-commit', 'after the home swap, before the state transaction', AFTER, 'snapshot.rollback.undone'],
    ['in-transaction', 'inside the state transaction', AFTER, 'snapshot.rollback.undone'],
    ['after-commit', 'just after the state transaction committed', SNAPSHOTTED, 'snapshot.rollback.finished'],
  ])(
    'killed %s (%s): boot leaves it all or nothing',
    { timeout: 60_000 },
    async (point, _what, expected, event) => {
      const dir = tempDir('habitat-rollback-crash-');
      dirs.push(dir);
      const { pid } = await crashDuringRollback(dir.path, point);
      const found = await stateAfterBoot(dir.path, pid);
      expect(found).toMatchObject({ ...expected, recovery: [event], journals: [], ledger: { n: 0 } });
    },
  );
});
