import { join } from 'node:path';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { HabitatError } from '../../shared/protocol/index.js';
import { tempDir, waitFor } from '../../test/helpers.js';
import { Store, type EventRecord } from './index.js';

const dir = tempDir('habitat-eventlog-');
afterAll(() => dir.cleanup());
let dbCount = 0;
const freshPath = () => join(dir.path, `events-${++dbCount}.db`);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof HabitatError ? error.code : `not a HabitatError: ${String(error)}`;
  }
  return undefined;
}

describe('event log writer', () => {
  it('assigns seqs at once and acknowledges them with one commit after the interval', async () => {
    const store = Store.open(freshPath(), { flushIntervalMs: 20 });
    const commits: number[] = [];
    store.onCommit((lastSeq) => commits.push(lastSeq));
    const seqs = [1, 2, 3].map((i) => store.appendEvent(7, 'agent.step', { i }));
    expect(seqs).toEqual([1, 2, 3]);
    expect(store.lastCommittedSeq).toBe(0);
    expect(commits).toEqual([]);
    await waitFor(() => commits.length > 0, 2_000, 'the batch commit');
    expect(commits).toEqual([3]);
    expect(store.lastCommittedSeq).toBe(3);
    store.close();
  });

  it('commits at once when a batch is full, and on flush', () => {
    const store = Store.open(freshPath(), { maxBatch: 100, flushIntervalMs: 60_000 });
    const commits: number[] = [];
    store.onCommit((lastSeq) => commits.push(lastSeq));
    for (let i = 0; i < 250; i++) store.appendEvent(1, 'agent.step', { i });
    expect(commits).toEqual([100, 200]);
    store.flush();
    expect(commits).toEqual([100, 200, 250]);
    store.flush(); // nothing queued: no commit, no acknowledgement
    expect(commits).toEqual([100, 200, 250]);
    store.close();
  });

  it('flushes on close and continues the sequence after reopen', () => {
    const path = freshPath();
    const store = Store.open(path, { flushIntervalMs: 60_000 });
    for (let i = 0; i < 5; i++) store.appendEvent(null, 'kernel.tick', { i });
    store.close();
    expect(codeOf(() => store.appendEvent(null, 'kernel.tick', {}))).toBe('E_CONFLICT');
    store.close(); // idempotent

    const reopened = Store.open(path);
    expect(reopened.lastCommittedSeq).toBe(5);
    expect(reopened.appendEvent(null, 'kernel.boot', {})).toBe(6);
    expect(reopened.latestEvents(null).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    reopened.close();
  });

  it('stores the payload as it was when appended, and refuses what JSON cannot hold', () => {
    const store = Store.open(freshPath());
    const payload = { text: 'before', list: [1] };
    store.appendEvent(1, 'agent.say', payload);
    payload.text = 'after';
    expect(codeOf(() => store.appendEvent(1, 'agent.say', { n: 1n }))).toBe('E_INVALID');
    expect(codeOf(() => store.appendEvent(1.5, 'agent.say', {}))).toBe('E_INVALID');
    expect(codeOf(() => store.appendEvent(1, '', {}))).toBe('E_INVALID');
    expect(store.appendEvent(1, 'agent.say', null)).toBe(2); // refused appends used no seq
    expect(store.latestEvents(1).map((e) => e.payload)).toEqual([{ text: 'before', list: [1] }, null]);
    store.close();
  });

  it('reports a throwing commit listener to onError and still acknowledges to the others', () => {
    const store = Store.open(freshPath());
    const errors: unknown[] = [];
    const acks: number[] = [];
    store.onError((error) => errors.push(error));
    store.onCommit(() => {
      throw new Error('listener bug');
    });
    const disposable = store.onCommit((lastSeq) => acks.push(lastSeq));
    store.appendEvent(1, 'agent.step', {});
    store.flush();
    expect(acks).toEqual([1]);
    expect(errors).toHaveLength(1);
    disposable.dispose();
    store.appendEvent(1, 'agent.step', {});
    store.flush();
    expect(acks).toEqual([1]);
    store.close();
  });

  it('keeps events queued while commits fail, and commits them on a later try', async () => {
    const store = Store.open(freshPath(), { flushIntervalMs: 5 });
    // A row squatting on the next seq makes the batch's insert fail, as a full disk would.
    const db = (store as unknown as { db: SqliteDatabase }).db;
    db.prepare("INSERT INTO events (seq, pid, type, at, payload) VALUES (2, NULL, 'squat', 0, 'null')").run();
    const errors: unknown[] = [];
    const acks: number[] = [];
    store.onError((error) => errors.push(error));
    store.onCommit((lastSeq) => acks.push(lastSeq));
    store.appendEvent(1, 'agent.step', { n: 1 });
    store.appendEvent(1, 'agent.step', { n: 2 });
    expect(codeOf(() => store.flush())).toBe('E_INTERNAL');
    await waitFor(() => errors.length >= 2, 2_000, 'the timer to retry and fail again');
    expect(acks).toEqual([]);
    db.prepare("DELETE FROM events WHERE type = 'squat'").run();
    await waitFor(() => acks.length > 0, 2_000, 'the retry to commit');
    expect(acks).toEqual([2]);
    expect(store.latestEvents(1).map((e) => e.payload)).toEqual([{ n: 1 }, { n: 2 }]);
    store.close();
  });

  it('refuses appends with E_LIMIT once maxQueued events wait', () => {
    const store = Store.open(freshPath(), { maxBatch: 1_000, maxQueued: 10, flushIntervalMs: 60_000 });
    for (let i = 0; i < 10; i++) store.appendEvent(1, 'agent.step', { i });
    expect(codeOf(() => store.appendEvent(1, 'agent.step', {}))).toBe('E_LIMIT');
    store.flush();
    expect(store.appendEvent(1, 'agent.step', {})).toBe(11);
    store.close();
  });

  it('records the injected clock', () => {
    const store = Store.open(freshPath(), { now: () => 1_700_000_000_000 });
    store.appendEvent(3, 'agent.step', {});
    expect(store.latestEvents(3)).toEqual([
      { seq: 1, pid: 3, type: 'agent.step', at: 1_700_000_000_000, payload: {} },
    ]);
    store.close();
  });

  it('refuses bad options and limits with E_INVALID', () => {
    expect(codeOf(() => Store.open(freshPath(), { maxBatch: 0 }))).toBe('E_INVALID');
    expect(codeOf(() => Store.open(freshPath(), { flushIntervalMs: 1.5 }))).toBe('E_INVALID');
    const store = Store.open(freshPath());
    expect(codeOf(() => store.latestEvents(1, 0))).toBe('E_INVALID');
    expect(codeOf(() => store.latestEvents(1, 10_001))).toBe('E_INVALID');
    expect(codeOf(() => store.eventsSince(1, Number.NaN, 10))).toBe('E_INVALID');
    store.close();
  });
});

describe('event log reads', () => {
  // Four agents and the kernel, interleaved unevenly, the way a busy kernel writes them.
  const owners = [11, 12, 13, 14, null] as const;
  const path = freshPath();
  const store = Store.open(path, { maxBatch: 512, flushIntervalMs: 60_000 });
  const expected = new Map<number | null, EventRecord[]>(owners.map((pid) => [pid, []]));
  for (let i = 0; i < 6_000; i++) {
    const pid = owners[((i * 2_654_435_761) % 2 ** 32) % owners.length]!; // a fixed, uneven shuffle
    const payload = { i, note: `event ${i}` };
    const seq = store.appendEvent(pid, pid === null ? 'kernel.stats' : 'agent.step', payload);
    expected.get(pid)!.push({ seq, pid, type: pid === null ? 'kernel.stats' : 'agent.step', at: 0, payload });
  }
  afterAll(() => store.close());
  const withoutTime = (events: EventRecord[]) => events.map((e) => ({ ...e, at: 0 }));

  it('latestEvents returns the latest 500 of each pid, oldest first, including events not yet committed', () => {
    expect(store.lastCommittedSeq).toBeLessThan(6_000); // the tail is still queued
    for (const pid of owners) {
      const all = expected.get(pid)!;
      expect(all.length).toBeGreaterThan(500);
      expect(withoutTime(store.latestEvents(pid))).toEqual(all.slice(-500));
      expect(withoutTime(store.latestEvents(pid, 3))).toEqual(all.slice(-3));
    }
    expect(store.latestEvents(99)).toEqual([]);
  });

  it('eventsSince pages through one pid in order', () => {
    const all = expected.get(12)!;
    const paged: EventRecord[] = [];
    for (let after = 0; ;) {
      const page = store.eventsSince(12, after, 333);
      if (page.length === 0) break;
      paged.push(...page);
      after = page[page.length - 1]!.seq;
    }
    expect(withoutTime(paged)).toEqual(all);
    expect(withoutTime(store.eventsSince(12, all[10]!.seq, 2))).toEqual(all.slice(11, 13));
  });
});
