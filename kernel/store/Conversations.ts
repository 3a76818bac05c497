import type { Database, Statement } from 'better-sqlite3';
import { HabitatError } from '../../shared/protocol/index.js';
import { MAX_READ } from './EventLog.js';
import { toJson } from './processRows.js';
import type { ConversationEntry } from './types.js';

interface MessageRow {
  seq: number;
  at: number;
  message: string;
}

/**
 * Agents' conversations with their models, append-only and ordered per PID (seq 0, 1, 2...). Unlike the event log,
 * each append commits before it returns: there are a few per model turn, and a run that resumes after a crash must
 * find every message its loop recorded. The kernel does not look inside a message: it is JSON the runtime wrote.
 */
export class Conversations {
  private readonly insert: Statement<[{ pid: number; at: number; message: string }], { seq: number }>;
  private readonly select: Statement<[number, number, number], MessageRow>;
  private readonly countRows: Statement<[number], { n: number }>;
  private readonly clear: Statement<[number]>;

  constructor(
    private readonly db: Database,
    private readonly now: () => number,
  ) {
    // the next seq is computed in the same statement, so two appends can never share one
    this.insert = db.prepare(`
      INSERT INTO conversations (pid, seq, at, message)
      SELECT @pid, coalesce(max(seq) + 1, 0), @at, @message FROM conversations WHERE pid = @pid
      RETURNING seq`);
    this.select = db.prepare(
      'SELECT seq, at, message FROM conversations WHERE pid = ? AND seq >= ? ORDER BY seq LIMIT ?',
    );
    this.countRows = db.prepare('SELECT count(*) AS n FROM conversations WHERE pid = ?');
    this.clear = db.prepare('DELETE FROM conversations WHERE pid = ?');
  }

  append(pid: number, message: unknown): number {
    checkPid(pid);
    const json = toJson(message, 'the message', pid);
    return this.insert.get({ pid, at: this.now(), message: json })!.seq;
  }

  /**
   * Replaces the whole conversation of `pid` in one transaction (a snapshot's restore or rollback): a resumed run
   * finds either the old messages or the new ones, never a mix.
   */
  replace(pid: number, messages: unknown[]): void {
    checkPid(pid);
    const rows = messages.map((message) => toJson(message, 'the message', pid));
    const at = this.now();
    this.db.transaction(() => {
      this.clear.run(pid);
      for (const message of rows) this.insert.run({ pid, at, message });
    })();
  }

  /** Up to `limit` messages of `pid` from seq `offset` on, in order. */
  read(pid: number, offset: number, limit: number): ConversationEntry[] {
    checkPid(pid);
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new HabitatError('E_INVALID', 'offset must be a non-negative integer', { offset });
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_READ)
      throw new HabitatError('E_INVALID', `limit must be an integer from 1 to ${MAX_READ}`, { limit });
    return this.select
      .all(pid, offset, limit)
      .map((row) => ({ seq: row.seq, at: row.at, message: JSON.parse(row.message) as unknown }));
  }

  count(pid: number): number {
    checkPid(pid);
    return this.countRows.get(pid)!.n;
  }
}

function checkPid(pid: number): void {
  if (!Number.isSafeInteger(pid) || pid < 1)
    throw new HabitatError('E_INVALID', 'a conversation pid must be a positive integer', { pid });
}
