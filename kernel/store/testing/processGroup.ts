import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * PIDs of the processes in group `pgid` that still run, zombies excluded: a killed helper (tsx's esbuild service)
 * reparented to an init that never reaps it stays a zombie, which runs nothing. Without /proc (macOS), whether the
 * group has any member at all.
 */
export function runningInGroup(pgid: number): number[] {
  if (!existsSync('/proc/self/stat')) return groupExists(pgid) ? [pgid] : [];
  const running: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'
    const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(group) === pgid && state !== 'Z' && state !== 'X') running.push(Number(entry));
  }
  return running;
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}
