import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test/helpers.js';
import { Store } from './index.js';
import { groupMembers } from '../os/index.js';

const WRITER = join(import.meta.dirname, 'testing', 'writer.ts');
const LOAD_MS = 1_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

describe('store crash safety', () => {
  const dir = tempDir('habitat-store-crash-');
  afterAll(() => dir.cleanup());

  it('keeps every acknowledged event, and a sound database, when the writer is SIGKILLed under load', async () => {
    const path = join(dir.path, 'habitat.db');
    // detached: the writer leads its own process group, so the kill and the check below cover all its processes
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, path], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, sig) => resolve(sig)),
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    let ready = false;
    let lastAck = 0;
    let acks = 0;
    let backwards = 0;
    let highestPid = 0;
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [word, value] = line.split(' ');
      if (word === 'ready') ready = true;
      if (word === 'ack') {
        const seq = Number(value);
        if (seq <= lastAck) backwards++;
        lastAck = Math.max(lastAck, seq);
        acks++;
      }
      if (word === 'pid') highestPid = Math.max(highestPid, Number(value));
    });

    await waitFor(() => ready || child.exitCode !== null, 15_000, 'the writer to open its store');
    expect(ready, stderr).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, LOAD_MS));
    process.kill(-child.pid!, 'SIGKILL');
    expect(await exited).toBe('SIGKILL');
    // Exited and reaped; and nothing else of its process group may still run.
    expect(isAlive(child.pid!)).toBe(false);
    await waitFor(() => groupMembers(child.pid!).length === 0, 2_000, 'the writer group to end');
    expect(acks).toBeGreaterThan(10);
    expect(backwards, 'acknowledgements only move forward').toBe(0);

    const raw = new Database(path);
    try {
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      const { count, max } = raw
        .prepare<[], { count: number; max: number }>('SELECT count(*) AS count, max(seq) AS max FROM events')
        .get()!;
      // Seqs start at 1 and are committed in order, so "1..lastAck all present" is count and max agreeing with it.
      expect(max).toBeGreaterThanOrEqual(lastAck);
      expect(count).toBe(max);
      const acknowledged = raw.prepare<[number], { n: number }>(
        'SELECT count(*) AS n FROM events WHERE seq <= ?',
      );
      expect(acknowledged.get(lastAck)!.n).toBe(lastAck);
    } finally {
      raw.close();
    }

    const store = Store.open(path);
    try {
      expect(store.allocatePid()).toBeGreaterThan(highestPid);
      expect(store.appendEvent(null, 'kernel.boot', {})).toBe(store.lastCommittedSeq + 1);
    } finally {
      store.close();
    }
  });
});
