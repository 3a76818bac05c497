import type { Database, Statement } from 'better-sqlite3';
import { PROCESS_COLUMNS, toRecord, toRow, type ProcessRow } from './processRows.js';
import type { ProcessFilter, ProcessRecord } from './types.js';

export const LOST_EXIT_REASON = 'lost: the kernel stopped while it ran';

interface FilterParams {
  states: string | null;
  phases: string | null;
  byParent: 0 | 1;
  ppid: number | null;
}

/** The PID table and the PID counter. Every write is its own transaction, committed before the method returns. */
export class ProcessRecords {
  private lastPid: number;
  private readonly readLastPid: Statement<[], { value: number }>;
  private readonly bumpLastPid: Statement<[], { value: number }>;
  private readonly syncFull: Statement<[]>;
  private readonly syncNormal: Statement<[]>;
  private readonly upsert: Statement<[ProcessRow]>;
  private readonly selectOne: Statement<[number], ProcessRow>;
  private readonly selectMany: Statement<[FilterParams], ProcessRow>;
  private readonly deleteOne: Statement<[number]>;
  private readonly markLost: Statement<[{ bootId: string; endedAt: string; reason: string }], ProcessRow>;

  constructor(
    db: Database,
    private readonly fsyncEveryCommit: boolean,
  ) {
    this.readLastPid = db.prepare("SELECT value FROM meta WHERE key = 'last_pid'");
    this.bumpLastPid = db.prepare("UPDATE meta SET value = value + 1 WHERE key = 'last_pid' RETURNING value");
    this.syncFull = db.prepare('PRAGMA synchronous = FULL');
    this.syncNormal = db.prepare('PRAGMA synchronous = NORMAL');
    const assignments = PROCESS_COLUMNS.split(', ')
      .filter((column) => column !== 'pid')
      .map((column) => `${column} = excluded.${column}`)
      .join(', ');
    const values = PROCESS_COLUMNS.split(', ')
      .map((column) => `@${column}`)
      .join(', ');
    this.upsert = db.prepare(
      `INSERT INTO processes (${PROCESS_COLUMNS}) VALUES (${values}) ON CONFLICT (pid) DO UPDATE SET ${assignments}`,
    );
    this.selectOne = db.prepare(`SELECT ${PROCESS_COLUMNS} FROM processes WHERE pid = ?`);
    // One statement for every filter shape: the PID table holds thousands of rows, not millions, so a scan is fine.
    this.selectMany = db.prepare(`
      SELECT ${PROCESS_COLUMNS} FROM processes
      WHERE (@states IS NULL OR state IN (SELECT value FROM json_each(@states)))
        AND (@phases IS NULL OR phase IN (SELECT value FROM json_each(@phases)))
        AND (@byParent = 0 OR ppid IS @ppid)
      ORDER BY pid`);
    this.deleteOne = db.prepare('DELETE FROM processes WHERE pid = ?');
    this.markLost = db.prepare(`
      UPDATE processes SET state = 'dead', phase = 'failed', ended_at = @endedAt, exit_reason = @reason
      WHERE state NOT IN ('zombie', 'dead') AND boot_id != @bootId
      RETURNING ${PROCESS_COLUMNS}`);
    this.lastPid = this.readLastPid.get()!.value;
  }

  /**
   * The next PID. The counter lives in the database and only grows, so a PID is never handed out twice, even after
   * its row is deleted; it is fsynced before it returns, so not even a power loss can roll it back.
   */
  allocatePid(): number {
    if (this.fsyncEveryCommit) return (this.lastPid = this.bumpLastPid.get()!.value);
    this.syncFull.run();
    try {
      return (this.lastPid = this.bumpLastPid.get()!.value);
    } finally {
      this.syncNormal.run();
    }
  }

  /** Inserts or replaces the process with this PID, which must have come from allocatePid. */
  put(record: ProcessRecord): void {
    this.upsert.run(toRow(record, this.lastPid));
  }

  get(pid: number): ProcessRecord | undefined {
    const row = this.selectOne.get(pid);
    return row && toRecord(row);
  }

  /** Processes that match every given field of the filter, by ascending PID. */
  list(filter: ProcessFilter = {}): ProcessRecord[] {
    return this.selectMany
      .all({
        states: filter.states ? JSON.stringify(filter.states) : null,
        phases: filter.phases ? JSON.stringify(filter.phases) : null,
        byParent: filter.ppid === undefined ? 0 : 1,
        ppid: filter.ppid ?? null,
      })
      .map(toRecord);
  }

  /** Whether a row was deleted. The PID stays used. */
  delete(pid: number): boolean {
    return this.deleteOne.run(pid).changes > 0;
  }

  /**
   * Marks the processes a previous kernel left running as dead (phase failed, endedAt `endedAt`) and returns them,
   * by ascending PID, with their sandbox (osPid, containerId) intact so the caller can clean up what is left.
   */
  reconcile(currentBootId: string, endedAt: string): ProcessRecord[] {
    return this.markLost
      .all({ bootId: currentBootId, endedAt, reason: LOST_EXIT_REASON })
      .map(toRecord)
      .sort((a, b) => a.pid - b.pid);
  }
}
