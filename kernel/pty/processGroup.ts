import { readdirSync, readFileSync } from 'node:fs';

/** Sends a signal to every process of a group; false when the group no longer exists. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    // EPERM: members exist that we may not signal (a setuid program), so the group is still there
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface ProcessStat {
  pid: number;
  state: string;
  pgrp: number;
  session: number;
}

/** Every process, from /proc; undefined where there is no /proc (macOS). */
function listProcesses(): ProcessStat[] | undefined {
  if (process.platform !== 'linux') return undefined;
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const found: ProcessStat[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // after "pid (comm) ": state ppid pgrp session; comm may hold spaces and parentheses, so split after the last ')'
    const [state = '', , pgrp, session] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    found.push({ pid: Number(name), state, pgrp: Number(pgrp), session: Number(session) });
  }
  return found;
}

/**
 * Whether any process of the group still runs. A zombie does not count: kill(2) still finds it until its parent
 * reaps it, and an orphan's new parent may reap late (the init of some containers does).
 */
export function isGroupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  const processes = listProcesses();
  return processes === undefined || processes.some((p) => p.pgrp === pgid && p.state !== 'Z');
}

/**
 * Live processes of a session that left the leader's process group (jobs of an interactive shell, a daemon that
 * called setpgid). Found through /proc on Linux; elsewhere none are found and only the group is reached.
 */
export function sessionStragglers(sid: number): number[] {
  const processes = listProcesses() ?? [];
  return processes.filter((p) => p.session === sid && p.pgrp !== sid && p.state !== 'Z').map((p) => p.pid);
}

function signalEach(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // exited meanwhile, or not ours to signal
    }
  }
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `done()` or the timeout; true when done. */
export async function waitUntil(done: () => boolean, timeoutMs: number, intervalMs = 25): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
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
  const stragglers = sessionStragglers(sid);
  signalEach(stragglers, 'SIGTERM');
  if (signalGroup(sid, 'SIGHUP')) signalGroup(sid, 'SIGTERM');
  if (!(await waitUntil(() => !isGroupAlive(sid), graceMs))) {
    signalGroup(sid, 'SIGKILL');
    await waitUntil(() => !isGroupAlive(sid), 1_000);
  }
  if (stragglers.length > 0) {
    await waitUntil(() => sessionStragglers(sid).length === 0, Math.max(0, deadline - Date.now()), 100);
  }
  signalEach(sessionStragglers(sid), 'SIGKILL');
}
