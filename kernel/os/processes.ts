import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** One OS process as /proc describes it. */
export interface OsProcess {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** Scheduler state: R running, S sleeping, T stopped, Z zombie... */
  state: string;
  command: string;
}

/** Every live process (zombies excluded: they run nothing), from /proc; empty where there is no /proc (macOS). */
export function listProcesses(): OsProcess[] {
  if (process.platform !== 'linux') return [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const found: OsProcess[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses, so split after the last ')'
    const close = stat.lastIndexOf(')');
    const [state = '', ppid, pgid, sid] = stat.slice(close + 2).split(' ');
    if (state === 'Z' || state === 'X') continue;
    found.push({
      pid: Number(name),
      ppid: Number(ppid),
      pgid: Number(pgid),
      sid: Number(sid),
      state,
      command: stat.slice(stat.indexOf('(') + 1, close),
    });
  }
  return found;
}

/**
 * A root process, its descendants and its session. An interactive shell puts each job in its own process group, so
 * a group alone would miss them; under bubblewrap orphans are re-parented to the namespace's init, itself a
 * descendant, so double-forking does not escape.
 */
export function processTree(root: number): OsProcess[] {
  return treesIn(listProcesses(), [root]);
}

/** The trees (see processTree) of several roots, from one scan. */
function treesIn(all: readonly OsProcess[], roots: readonly number[]): OsProcess[] {
  const children = new Map<number, OsProcess[]>();
  for (const p of all) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const wanted = new Set(roots);
  const found = new Map<number, OsProcess>();
  const queue = all.filter((p) => wanted.has(p.pid) || wanted.has(p.sid));
  while (queue.length) {
    const p = queue.pop()!;
    if (found.has(p.pid)) continue;
    found.set(p.pid, p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  return [...found.values()];
}

/**
 * A scan of /proc taken after the call, shared by every call made before it runs (on the next turn of the event
 * loop). A scan reads every process's stat file: tens of milliseconds with a thousand processes, so a kernel that
 * waits for two hundred sessions to end must not read it two hundred times a poll.
 */
export function scanSoon(): Promise<OsProcess[]> {
  nextScan ??= new Promise<OsProcess[]>((resolve, reject) =>
    setImmediate(() => {
      nextScan = undefined;
      try {
        resolve(listProcesses());
      } catch (error) {
        reject(error as Error);
      }
    }),
  );
  return nextScan;
}
let nextScan: Promise<OsProcess[]> | undefined;

/** read, pread64 and readv by architecture: a process asleep in one of them on a terminal waits for typed input. */
const READ_SYSCALLS: Partial<Record<string, readonly number[]>> = { x64: [0, 17, 19], arm64: [63, 67, 65] };
const TERMINAL_DEVICE = /^\/dev\/(pts\/\d+|tty\w*|console)$/;

/**
 * Whether a process of the tree (see processTree) is blocked reading a terminal: a program waiting for input, as
 * /proc/<pid>/syscall says (the syscall it sleeps in and its first argument, the fd). Undefined where that cannot be
 * told: no /proc, another architecture, or no process whose syscall this kernel may read. The tree comes from a
 * shared scan (scanSoon): agents probing their programs at the same moment read /proc once.
 */
export async function readingTerminal(root: number): Promise<boolean | undefined> {
  const reads = READ_SYSCALLS[process.arch];
  if (!reads) return undefined;
  let readable = false;
  for (const p of treesIn(await scanSoon(), [root])) {
    let fields: string[];
    try {
      fields = readFileSync(`/proc/${p.pid}/syscall`, 'utf8').trim().split(' ');
    } catch {
      continue; // gone, or not ours to inspect
    }
    readable = true;
    if (!reads.includes(Number(fields[0])) || fields[1] === undefined) continue;
    try {
      if (TERMINAL_DEVICE.test(readlinkSync(`/proc/${p.pid}/fd/${Number.parseInt(fields[1], 16)}`)))
        return true;
    } catch {
      // the fd closed meanwhile
    }
  }
  return readable ? false : undefined;
}

/** Live members of one process group. */
export function groupMembers(pgid: number): OsProcess[] {
  return listProcesses().filter((p) => p.pgid === pgid);
}

/** Signals a whole process group; false when it no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    // EPERM: members exist that we may not signal (a setuid program), so the group is still there
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether any process of the group still runs (a zombie waiting for a slow reaper does not count). */
export function isGroupAlive(pgid: number): boolean {
  return groupAliveWithoutScan(pgid) ?? listProcesses().some((p) => p.pgid === pgid);
}

/** isGroupAlive from a shared scan (scanSoon): for polling, where many wait at once. */
export async function isGroupAliveSoon(pgid: number): Promise<boolean> {
  return groupAliveWithoutScan(pgid) ?? (await scanSoon()).some((p) => p.pgid === pgid);
}

/**
 * What a signal 0 to the group tells: false when nothing of it is left, true where there is no /proc to say more;
 * undefined when only a scan can tell whether its members are more than zombies.
 */
function groupAliveWithoutScan(pgid: number): boolean | undefined {
  if (!signalGroup(pgid, 0)) return false;
  return process.platform === 'linux' ? undefined : true;
}

/**
 * Signals the whole tree of a root process. Repeats while new processes appear (a fork racing the walk), so STOP
 * leaves nothing running. Returns whether anything was signalled.
 */
export function signalTree(root: number, signal: NodeJS.Signals): boolean {
  return signalTrees([root], signal) > 0;
}

/**
 * signalTree for several roots at once, with one walk of /proc a pass for all of them, then each root's group (which
 * covers systems without /proc); returns how many processes and groups it signalled. Every pass that signalled
 * something is followed by another: a fork in flight when its parent got the signal completes, and its child shows
 * in /proc, only after that.
 *
 * Processes whose command is in `spare` are passed over (a sandbox's launchers, which would die of a signal meant for
 * what they run, taking it all down with them); their groups then get nothing either where /proc lists the rest.
 */
export function signalTrees(
  roots: readonly number[],
  signal: NodeJS.Signals,
  spare: ReadonlySet<string> = NONE,
): number {
  const signalled = new Set<number>();
  for (let pass = 0; pass < 4; pass++) {
    const fresh = treesIn(listProcesses(), roots).filter((p) => !signalled.has(p.pid));
    if (fresh.length === 0) break;
    for (const p of fresh) {
      signalled.add(p.pid);
      if (!spare.has(p.command)) signalOne(p.pid, signal);
    }
  }
  const groups = spare.size > 0 && process.platform === 'linux' ? [] : roots;
  return signalled.size + groups.filter((root) => signalGroup(root, signal)).length;
}
const NONE: ReadonlySet<string> = new Set();

/**
 * Signals queued in this turn of the event loop go out together, in the order asked, with one walk of /proc for each
 * run of the same signal (signalTrees): a kernel that kills two hundred agents on its way out walks it once, not two
 * hundred times. Resolves once the signal has been sent. `spare` as for signalTrees.
 */
export function queueSignalTree(
  root: number,
  signal: NodeJS.Signals,
  spare: ReadonlySet<string> = NONE,
): Promise<void> {
  return new Promise((resolve) => {
    if (queued.length === 0) queueMicrotask(sendQueued);
    queued.push({ root, signal, spare, resolve });
  });
}
let queued: { root: number; signal: NodeJS.Signals; spare: ReadonlySet<string>; resolve: () => void }[] = [];

function sendQueued(): void {
  const batch = queued;
  queued = [];
  for (let start = 0; start < batch.length;) {
    const { signal, spare } = batch[start]!;
    let end = start + 1;
    while (end < batch.length && batch[end]!.signal === signal && batch[end]!.spare === spare) end++;
    const run = batch.slice(start, end);
    try {
      signalTrees(
        run.map((entry) => entry.root),
        signal,
        spare,
      );
    } catch (error) {
      console.error('[os] walking the process trees to signal failed:', error);
    }
    for (const entry of run) entry.resolve();
    start = end;
  }
}

/** Live processes of a session outside the leader's group (jobs of an interactive shell, daemons). */
function stragglersIn(all: readonly OsProcess[], sid: number): number[] {
  return all.filter((p) => p.sid === sid && p.pgid !== sid).map((p) => p.pid);
}

function signalOne(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // exited meanwhile, or not ours to signal
  }
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `done()` or the timeout; true when done. */
export async function waitUntil(
  done: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 25,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() >= deadline) return false;
    await delay(Math.min(intervalMs, Math.max(1, deadline - Date.now())));
  }
  return true;
}

/**
 * Ends a terminal's processes: SIGHUP and SIGTERM to the leader's group (what a closing terminal and a polite
 * shutdown send) and SIGTERM to stragglers of the session; SIGKILL to whatever is left after the grace period.
 * Resolves when all are gone, or when even SIGKILL did not end the group within a second.
 */
export async function terminateSession(sid: number, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  // every question here goes to a shared scan: a kernel on its way out ends all its sessions at once
  const stragglers = stragglersIn(await scanSoon(), sid);
  for (const pid of stragglers) signalOne(pid, 'SIGTERM');
  if (signalGroup(sid, 'SIGHUP')) signalGroup(sid, 'SIGTERM');
  const groupGone = async (): Promise<boolean> => !(await isGroupAliveSoon(sid));
  if (!(await waitUntil(groupGone, graceMs))) {
    signalGroup(sid, 'SIGKILL');
    await waitUntil(groupGone, 1_000);
  }
  if (stragglers.length > 0) {
    const stragglersGone = async (): Promise<boolean> => stragglersIn(await scanSoon(), sid).length === 0;
    await waitUntil(stragglersGone, Math.max(0, deadline - Date.now()), 100);
  }
  for (const pid of stragglersIn(await scanSoon(), sid)) signalOne(pid, 'SIGKILL');
}
