import { promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import { removeTree } from './materialize.js';

/**
 * A rollback replaces what a live agent's home holds, not the home folder itself: bind mounts (bubblewrap, Docker)
 * hold on to the folder, so the agent's running sandbox sees the new files at once. Entries are moved by rename
 * (one per top-level entry, whatever its size), through a journal folder beside the homes:
 *
 *   <journal>/new    the verified copy, built before anything is touched
 *   <journal>/old    what the home held, moved out
 *   <journal>/phase  {"phase":"out"|"in"|"done","home":...}: how far it got
 *
 * All or nothing across a crash: the rest of the rollback (conversation, mailbox) commits in one database transaction
 * that also names the journal (see RollbackLedger). A journal found at boot is finished (only cleaned) if its
 * rollback committed or its phase is "done", and undone otherwise: the old entries go back.
 */
export interface HomeSwap {
  journal: string;
  /** Where the caller builds the new contents (it must not exist yet: materialize makes it). */
  staged: string;
  /** Moves the staged contents in; on a failure, the home is left as it was. */
  swap(): Promise<void>;
  /** Puts the old contents back (the rest of the rollback failed). */
  undo(): Promise<void>;
  /** After the rest of the rollback: the swap stands. */
  commit(): Promise<void>;
  /**
   * Removes the journal (the old contents with it), unless putting them back failed: boot tries again. Says whether
   * the journal is gone.
   */
  cleanup(): Promise<boolean>;
}

const PREFIX = '.rollback-';
type Phase = 'out' | 'in' | 'done';

export function journalFor(homesDir: string, pid: number, suffix: string): string {
  return join(homesDir, `${PREFIX}${pid}-${suffix}`);
}

/**
 * `keep` names top-level entries that stay as they are (workspace mount points under ~/shared): the staged tree's
 * entries of those names are dropped.
 */
export async function prepareSwap(
  home: string,
  journal: string,
  keep: ReadonlySet<string>,
): Promise<HomeSwap> {
  await fsp.mkdir(journal, { mode: 0o700 });
  const staged = join(journal, 'new');
  const old = join(journal, 'old');
  const mark = (phase: Phase) => writePhase(journal, { phase, home, keep: [...keep] });
  let stuck = false;
  const putBack = async () => {
    try {
      await undo(home, journal, keep);
    } catch (error) {
      stuck = true;
      throw error;
    }
  };
  return {
    journal,
    staged,
    swap: async () => {
      await fsp.mkdir(old, { mode: 0o700 });
      for (const name of keep) await removeTree(join(staged, name));
      await mark('out');
      try {
        await moveAll(home, old, keep);
        await mark('in');
        await moveAll(staged, home, keep);
      } catch (error) {
        await putBack();
        throw error;
      }
    },
    undo: putBack,
    commit: () => mark('done'),
    cleanup: async () => {
      if (stuck) return false;
      await removeTree(journal);
      return true;
    },
  };
}

/**
 * At boot: finishes or undoes what a crash interrupted (see HomeSwap). `committed` says whether the rollback that a
 * journal (by its name) belongs to committed its state changes. Returns the homes put back and those whose rollback
 * it finished.
 */
export async function recoverSwaps(
  homesDir: string,
  committed: (journal: string) => boolean,
): Promise<{ undone: string[]; finished: string[] }> {
  const undone: string[] = [];
  const finished: string[] = [];
  for (const name of await fsp.readdir(homesDir).catch(() => [] as string[])) {
    if (!name.startsWith(PREFIX)) continue;
    const journal = join(homesDir, name);
    const state = await readPhase(journal);
    // a journal names a home of this data folder, or it is not one of ours
    if (state && join(homesDir, basename(state.home)) === state.home) {
      if (state.phase === 'done' || committed(name)) finished.push(state.home);
      else {
        await undo(state.home, journal, new Set(state.keep));
        undone.push(state.home);
      }
    }
    await removeTree(journal);
  }
  return { undone, finished };
}

const STAGING = /^\.restore-[0-9a-f]{16}$/;

/** Where a restore builds a new agent's home before it is moved into place (see Snapshots.restore). */
export function stagingFor(homesDir: string, suffix: string): string {
  return join(homesDir, `.restore-${suffix}`);
}

/**
 * At boot: removes the staging folders of restores a crash cut short (nothing else uses them: a restore moves its
 * folder into place or removes it), except those `live` names (a restore under way). Returns the names removed.
 */
export async function sweepStaging(homesDir: string, live: ReadonlySet<string>): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await fsp.readdir(homesDir).catch(() => [] as string[])) {
    const path = join(homesDir, name);
    if (!STAGING.test(name) || live.has(path)) continue;
    const stat = await fsp.lstat(path).catch(() => undefined);
    if (!stat?.isDirectory()) continue;
    await removeTree(path);
    removed.push(name);
  }
  return removed;
}

/** Puts the home back as it was: what came in from new/ goes back there, what went to old/ comes back. */
async function undo(home: string, journal: string, keep: ReadonlySet<string>): Promise<void> {
  const state = await readPhase(journal);
  const old = join(journal, 'old');
  if (state?.phase === 'in') await moveAll(home, join(journal, 'new'), keep, { ifMissing: true });
  await moveAll(old, home, keep, { ifMissing: true });
}

async function moveAll(
  from: string,
  to: string,
  keep: ReadonlySet<string>,
  options: { ifMissing?: boolean } = {},
): Promise<void> {
  let names: string[];
  try {
    names = await fsp.readdir(from);
  } catch (error) {
    if (options.ifMissing && (error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const name of names) {
    if (keep.has(name)) continue;
    await fsp.rename(join(from, name), join(to, name));
  }
}

interface JournalState {
  phase: Phase;
  home: string;
  keep: string[];
}

async function writePhase(journal: string, state: JournalState): Promise<void> {
  const temp = join(journal, 'phase.tmp');
  const file = await fsp.open(temp, 'w', 0o600);
  try {
    await file.writeFile(JSON.stringify(state));
    await file.sync();
  } finally {
    await file.close();
  }
  await fsp.rename(temp, join(journal, 'phase'));
}

async function readPhase(journal: string): Promise<JournalState | undefined> {
  try {
    const parsed = JSON.parse(await fsp.readFile(join(journal, 'phase'), 'utf8')) as JournalState;
    const valid =
      typeof parsed.home === 'string' &&
      ['out', 'in', 'done'].includes(parsed.phase) &&
      Array.isArray(parsed.keep) &&
      parsed.keep.every((name) => typeof name === 'string');
    return valid ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Gives a staged tree the home's owner, when the kernel runs as root and the home belongs to someone else (a
 * container agent's user): what the agent could write before, it can write after.
 */
export async function matchOwner(tree: string, home: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const { uid, gid } = await fsp.stat(home);
  if (uid === 0 && gid === 0) return;
  const walk = async (path: string): Promise<void> => {
    await fsp.lchown(path, uid, gid);
    for (const entry of await fsp.readdir(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) await walk(child);
      else await fsp.lchown(child, uid, gid);
    }
  };
  await walk(tree);
}
