import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers.js';
import {
  listProcesses,
  processTree,
  queueSignalTree,
  scanSoon,
  signalTrees,
  terminateSession,
} from './index.js';

/** Real process trees, each in a session of its own (its leader's PID is the session's and the group's). */
describe.skipIf(process.platform !== 'linux')('OS process trees', () => {
  const started: ChildProcess[] = [];
  afterEach(() => {
    // the trees, not just the leaders' groups: jobs of `set -m` shells have groups of their own
    signalTrees(
      started.splice(0).map((child) => child.pid!),
      'SIGKILL',
    );
  });

  /** A session leader running `script` under bash; resolves once `members` processes of its tree are up. */
  async function session(script: string, members: number): Promise<number> {
    const child = spawn('/bin/bash', ['-c', script], { detached: true, stdio: 'ignore' });
    started.push(child);
    const pid = child.pid!;
    await waitFor(() => processTree(pid).length >= members, 5000, `${members} processes in session ${pid}`);
    return pid;
  }
  const states = (root: number): string[] => processTree(root).map((p) => p.state);

  it('signalTrees stops and kills several trees with one walk a pass, jobs in their own groups included', async () => {
    // set -m: each background job gets a process group of its own, as in an interactive shell
    const a = await session('set -m; sleep 300 & sleep 300 & wait', 3);
    const b = await session('sleep 300 & wait', 2);
    expect(signalTrees([a, b], 'SIGSTOP')).toBeGreaterThanOrEqual(5);
    await waitFor(() => [...states(a), ...states(b)].every((s) => s === 'T'), 3000, 'both trees stopped');
    signalTrees([a, b], 'SIGKILL');
    await waitFor(() => processTree(a).length + processTree(b).length === 0, 3000, 'both trees gone');
  });

  it('a tree still forking when STOP arrives is stopped whole: the walk repeats while processes appear', async () => {
    const root = await session('i=0; while [ $i -lt 300 ]; do sleep 60 & i=$((i+1)); done; wait', 10);
    signalTrees([root], 'SIGSTOP');
    // A child that escaped the walks would stay sleeping (S) for good. One that got the STOP but has not run since
    // (a loaded machine) shows R until it does, so wait for the tree to settle rather than a fixed time.
    const escaped = () => states(root).filter((s) => s !== 'T');
    await waitFor(() => escaped().length === 0, 5_000, 'every process of the tree to stop').catch(() => {});
    expect(states(root).length).toBeGreaterThan(10);
    expect(escaped()).toEqual([]);
  });

  it('queued signals go out in the order asked, those of one turn together', async () => {
    const a = await session('sleep 300 & wait', 2);
    const b = await session('sleep 300 & wait', 2);
    // STOP then CONT in the same turn: the tree must end up running, not stopped
    await Promise.all([queueSignalTree(a, 'SIGSTOP'), queueSignalTree(a, 'SIGCONT')]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(states(a).every((s) => s !== 'T')).toBe(true);
    // a batch of one signal for several roots reaches every one of them
    await Promise.all([queueSignalTree(a, 'SIGKILL'), queueSignalTree(b, 'SIGKILL')]);
    await waitFor(() => processTree(a).length + processTree(b).length === 0, 3000, 'both trees gone');
  });

  it('a spared command (a sandbox launcher) is passed over, its group too, while the rest of the tree gets the signal', async () => {
    const root = await session('sleep 300 & sleep 300 & wait; exit 3', 3);
    const child = started.at(-1)!;
    const ended = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    // (a job forked but not yet sleeping still has bash's name)
    const sleeps = (): number => processTree(root).filter((p) => p.command === 'sleep').length;
    await waitFor(() => sleeps() === 2, 3000, 'both sleeps to start');
    await queueSignalTree(root, 'SIGTERM', new Set(['bash']));
    // its jobs died of the TERM; the leader lived on, and ended as its script says
    expect(await ended).toEqual({ code: 3, signal: null });
  });

  it('scanSoon: calls made in one turn share a scan taken after them; a later call gets a new one', async () => {
    const first = scanSoon();
    const second = scanSoon();
    expect(second).toBe(first);
    const before = await first;
    const pid = await session('sleep 300', 1);
    expect(before.some((p) => p.pid === pid)).toBe(false);
    const after = await scanSoon();
    expect(after).not.toBe(before);
    expect(after.some((p) => p.pid === pid)).toBe(true);
    expect(listProcesses().some((p) => p.pid === pid)).toBe(true);
  });

  it('terminateSession ends many sessions at once, their stragglers too, within the grace period', async () => {
    // a TERM-ignoring job in a group of its own: a straggler that takes SIGKILL to end
    const leaders = await Promise.all(
      Array.from({ length: 8 }, () => session('set -m; bash -c \'trap "" TERM; sleep 300\' & wait', 2)),
    );
    const start = Date.now();
    await Promise.all(leaders.map((sid) => terminateSession(sid, 1_000)));
    expect(Date.now() - start).toBeLessThan(5_000);
    // the stragglers' SIGKILL went out last: they are gone once the OS has ended them
    const left = () => listProcesses().filter((p) => leaders.includes(p.sid));
    await waitFor(() => left().length === 0, 2000, 'no process of the sessions left');
  });
});
