import type { Database, Statement, Transaction } from 'better-sqlite3';
import { HabitatError } from '../../shared/protocol/index.js';
import type { Disposable } from '../events/index.js';
import { asHabitatError } from './connection.js';
import { toJson } from './processRows.js';
import type { CommitListener, EventRecord, StoreErrorListener } from './types.js';

export interface EventLogOptions {
  flushIntervalMs: number;
  maxBatch: number;
  maxQueued: number;
  now: () => number;
}

/** The most rows one read returns: a bound on the memory and time a single query may take. */
export const MAX_READ = 10_000;
const MAX_RETRY_DELAY_MS = 1_000;

type QueuedEvent = [seq: number, pid: number | null, type: string, at: number, payload: string];

interface EventRow {
  seq: number;
  pid: number | null;
  type: string;
  at: number;
  payload: string;
}

const toEvent = (row: EventRow): EventRecord => ({
  seq: row.seq,
  pid: row.pid,
  type: row.type,
  at: row.at,
  payload: JSON.parse(row.payload),
});

/**
 * The append-only event log with a batched writer. appendEvent assigns the sequence number at once and queues the
 * row; queued rows are committed together, one transaction per batch, when the interval elapses or the batch is
 * full. onCommit listeners then learn the highest committed seq: an event is acknowledged only from that moment.
 * Sequence numbers come from memory, which is sound because the connection holds the database exclusively.
 */
export class EventLog {
  private nextSeq: number;
  private committedSeq: number;
  private queue: QueuedEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private retryDelayMs: number;
  private failing = false;
  private closed = false;
  private readonly commitListeners = new Set<CommitListener>();
  private readonly errorListeners = new Set<StoreErrorListener>();
  private readonly insertBatch: Transaction<(rows: QueuedEvent[]) => void>;
  private readonly selectLatest: Statement<[number | null, number], EventRow>;
  private readonly selectSince: Statement<[number | null, number, number], EventRow>;

  constructor(
    db: Database,
    private readonly options: EventLogOptions,
  ) {
    const insert = db.prepare<QueuedEvent>(
      'INSERT INTO events (seq, pid, type, at, payload) VALUES (?, ?, ?, ?, ?)',
    );
    this.insertBatch = db.transaction((rows: QueuedEvent[]) => {
      for (const row of rows) insert.run(...row);
    });
    // `pid IS ?` matches null too and still uses events_by_pid (SQLite treats IS as an equality on an index).
    this.selectLatest = db.prepare(
      'SELECT seq, pid, type, at, payload FROM events WHERE pid IS ? ORDER BY seq DESC LIMIT ?',
    );
    this.selectSince = db.prepare(
      'SELECT seq, pid, type, at, payload FROM events WHERE pid IS ? AND seq > ? ORDER BY seq LIMIT ?',
    );
    const last =
      db.prepare<[], { last: number | null }>('SELECT max(seq) AS last FROM events').get()!.last ?? 0;
    this.committedSeq = last;
    this.nextSeq = last + 1;
    this.retryDelayMs = options.flushIntervalMs;
  }

  /** The highest seq committed so far (0 for an empty log). */
  get lastCommittedSeq(): number {
    return this.committedSeq;
  }

  /** Queues one event and returns its seq; it is durable once an onCommit listener has seen a seq at least as high. */
  append(pid: number | null, type: string, payload: unknown): number {
    if (this.closed) throw new HabitatError('E_CONFLICT', 'the store is closed');
    if (pid !== null && (!Number.isSafeInteger(pid) || pid < 1)) {
      throw new HabitatError('E_INVALID', 'an event pid must be a positive integer or null', { pid });
    }
    if (typeof type !== 'string' || type.length === 0) {
      throw new HabitatError('E_INVALID', 'an event type must be a non-empty string', { pid });
    }
    if (this.queue.length >= this.options.maxQueued) {
      throw new HabitatError(
        'E_LIMIT',
        `${this.queue.length} events wait to be committed: the event log cannot write (see the store's errors)`,
      );
    }
    // Serialized now: the caller may mutate the payload afterwards, and a bad payload fails its own call.
    const json = toJson(payload, 'the event payload', pid);
    const seq = this.nextSeq++;
    this.queue.push([seq, pid, type, this.options.now(), json]);
    if (this.queue.length >= this.options.maxBatch && !this.failing) this.flushReporting();
    else if (this.timer === undefined) this.arm(this.options.flushIntervalMs);
    return seq;
  }

  /** Commits every queued event now, in one transaction; throws if the commit fails (the events stay queued). */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.queue.length === 0) return;
    const batch = this.queue;
    try {
      this.insertBatch(batch);
    } catch (error) {
      this.failing = true;
      this.retryDelayMs = Math.min(MAX_RETRY_DELAY_MS, Math.max(1, this.retryDelayMs) * 2); // back off
      if (!this.closed) this.arm(this.retryDelayMs);
      throw asHabitatError(error, `cannot commit ${batch.length} events`);
    }
    this.failing = false;
    this.retryDelayMs = this.options.flushIntervalMs;
    // Appends made by listeners below start a new queue; this batch is done.
    this.queue = [];
    this.committedSeq = batch[batch.length - 1]![0];
    for (const listener of [...this.commitListeners]) {
      try {
        listener(this.committedSeq);
      } catch (error) {
        this.report(error);
      }
    }
  }

  /** Called after every commit with the highest committed seq. */
  onCommit(listener: CommitListener): Disposable {
    this.commitListeners.add(listener);
    return { dispose: () => this.commitListeners.delete(listener) };
  }

  /** Failures of commits nobody waited on (the timer's) and of commit listeners; logged when nobody listens. */
  onError(listener: StoreErrorListener): Disposable {
    this.errorListeners.add(listener);
    return { dispose: () => this.errorListeners.delete(listener) };
  }

  /** The `limit` latest events of `pid` (null: the kernel's own), oldest first. Includes events not yet committed. */
  latest(pid: number | null, limit: number): EventRecord[] {
    checkLimit(limit);
    this.flush();
    return this.selectLatest.all(pid, limit).reverse().map(toEvent);
  }

  /** Up to `limit` events of `pid` with seq above `afterSeq`, oldest first: how a reader catches up. */
  since(pid: number | null, afterSeq: number, limit: number): EventRecord[] {
    checkLimit(limit);
    if (!Number.isSafeInteger(afterSeq)) throw new HabitatError('E_INVALID', 'afterSeq must be an integer');
    this.flush();
    return this.selectSince.all(pid, afterSeq, limit).map(toEvent);
  }

  /** Commits what is queued and stops the timer; later appends are refused. */
  close(): void {
    this.closed = true;
    this.flush();
  }

  private arm(delayMs: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    // Not unref'd: pending events keep the process alive until they are committed.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushReporting();
    }, delayMs);
  }

  private flushReporting(): void {
    try {
      this.flush();
    } catch (error) {
      this.report(error);
    }
  }

  private report(error: unknown): void {
    if (this.errorListeners.size === 0) console.error('[store] event log:', error);
    for (const listener of [...this.errorListeners]) listener(error);
  }
}

function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_READ) {
    throw new HabitatError('E_INVALID', `limit must be an integer from 1 to ${MAX_READ}`, { limit });
  }
}
