import { readdirSync, readFileSync } from 'node:fs';

export interface GroupMember {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  state: string;
  command: string;
}

/** Every process on the machine with its parent, group, session and scheduler state (R, S, T, Z...). Linux only. */
function snapshot(): GroupMember[] {
  const members: GroupMember[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return members;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp session ...: comm may hold spaces and parentheses, so split after the last ')'
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      members.push({
        pid: Number(entry),
        state: fields[0]!,
        ppid: Number(fields[1]),
        pgid: Number(fields[2]),
        sid: Number(fields[3]),
        command: stat.slice(stat.indexOf('(') + 1, close),
      });
    } catch {
      // the process ended while we looked
    }
  }
  return members;
}

/**
 * The agent's processes: the root and all its descendants, plus anything in its session. An interactive shell
 * puts each job in its own process group, so a process group alone would miss them; under bubblewrap, orphans are
 * re-parented to the namespace's init, which is itself a descendant, so double-forking does not escape.
 */
export function processTree(root: number): GroupMember[] {
  const all = snapshot();
  const children = new Map<number, GroupMember[]>();
  for (const member of all) {
    const list = children.get(member.ppid);
    if (list) list.push(member);
    else children.set(member.ppid, [member]);
  }
  const found = new Map<number, GroupMember>();
  const queue = all.filter((m) => m.pid === root || m.sid === root);
  while (queue.length) {
    const member = queue.pop()!;
    if (found.has(member.pid)) continue;
    found.set(member.pid, member);
    queue.push(...(children.get(member.pid) ?? []));
  }
  return [...found.values()];
}

/**
 * Signals the whole tree. Repeats while new processes appear (a fork racing the walk), so STOP leaves nothing
 * running. Returns whether anything was signalled.
 */
export function signalTree(root: number, signal: NodeJS.Signals): boolean {
  const signalled = new Set<number>();
  for (let pass = 0; pass < 4; pass++) {
    const fresh = processTree(root).filter((m) => !signalled.has(m.pid));
    if (fresh.length === 0) break;
    for (const member of fresh) {
      signalled.add(member.pid);
      try {
        process.kill(member.pid, signal);
      } catch {
        // ended meanwhile
      }
    }
  }
  signalGroup(root, signal); // whatever is left in the group (and the group leader on non-Linux systems)
  return signalled.size > 0;
}

/** Sends a signal to a whole process group; a group that is already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Members of one process group. */
export function groupMembers(pgid: number): GroupMember[] {
  return snapshot().filter((m) => m.pgid === pgid);
}
