import { randomUUID } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import { HabitatError } from '../../shared/protocol/index.js';
import type { Disposable } from '../events/index.js';
import { asHabitatError, openConnection } from './connection.js';
import { Conversations } from './Conversations.js';
import { EventLog, MAX_READ } from './EventLog.js';
import { applyMigrations, readSchemaVersion } from './migrations.js';
import { ProcessRecords } from './ProcessRecords.js';
import type {
  CommitListener,
  ConversationEntry,
  EventRecord,
  ProcessFilter,
  ProcessRecord,
  StoreErrorListener,
  StoreOptions,
} from './types.js';

const DEFAULTS = {
  flushIntervalMs: 10,
  maxBatch: 1_000,
  maxQueued: 100_000,
  synchronous: 'normal',
  busyTimeoutMs: 5_000,
  now: Date.now,
} satisfies Required<StoreOptions>;
const MINIMUMS = { flushIntervalMs: 0, maxBatch: 1, maxQueued: 1, busyTimeoutMs: 0 };

/**
 * The kernel's persistence: the PID table, the PID counter and the event log, in one SQLite database (WAL mode)
 * that this store holds exclusively until close. Process writes commit before they return; events are batched.
 */
export class Store {
  private readonly processes: ProcessRecords;
  private readonly events: EventLog;
  private readonly conversations: Conversations;
  private readonly now: () => number;
  /** Read at every spawn (the provider settings): prepared once. */
  private readonly settings: {
    read: Statement<[string], { value: unknown }>;
    write: Statement<[string, string]>;
    remove: Statement<[string]>;
  };

  private constructor(
    private readonly db: Database,
    readonly path: string,
    options: Required<StoreOptions>,
  ) {
    this.now = options.now;
    this.processes = new ProcessRecords(db, options.synchronous === 'full');
    this.events = new EventLog(db, options);
    this.conversations = new Conversations(db, options.now);
    this.settings = {
      read: db.prepare('SELECT value FROM meta WHERE key = ?'),
      write: db.prepare(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      remove: db.prepare('DELETE FROM meta WHERE key = ?'),
    };
  }

  /**
   * Opens (creating if needed) the database at `path` and migrates it to the latest schema. Throws E_CONFLICT when
   * another process holds the database or its schema is newer than this code knows.
   */
  static open(path: string, options: StoreOptions = {}): Store {
    const settings: Required<StoreOptions> = { ...DEFAULTS, ...definedOnly(options) };
    for (const [key, min] of Object.entries(MINIMUMS) as [keyof typeof MINIMUMS, number][]) {
      const value = settings[key];
      if (!Number.isSafeInteger(value) || value < min) {
        throw new HabitatError('E_INVALID', `store option ${key} must be an integer of at least ${min}`, {
          [key]: value,
        });
      }
    }
    const db = openConnection(path, settings);
    try {
      applyMigrations(db);
      return new Store(db, path, settings);
    } catch (error) {
      db.close();
      throw asHabitatError(error, `cannot open the database ${path}`);
    }
  }

  /** PRAGMA integrity_check: 'ok', or the problems it found (one per line). Reads the whole file: slow on big logs. */
  integrityCheck(): string {
    const rows = this.db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((row) => row.integrity_check).join('\n');
  }

  /**
   * Marks the database as in use and says whether the previous user closed it cleanly. A kernel that was killed
   * leaves the mark set, and the next one knows to check the file before trusting it.
   */
  markInUse(): { previousCloseClean: boolean } {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'in_use'").get() as
      { value: number } | undefined;
    this.db
      .prepare("INSERT INTO meta (key, value) VALUES ('in_use', 1) ON CONFLICT (key) DO UPDATE SET value = 1")
      .run();
    return { previousCloseClean: !row || row.value === 0 };
  }

  /**
   * A stable id for this data folder, made on first use: it labels what this kernel owns outside the database
   * (containers), so kernels of other data folders sharing a Docker daemon leave them alone.
   */
  instanceId(): string {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'instance_id'").get() as
      { value: string } | undefined;
    if (row) return row.value;
    const id = `h${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    this.db.prepare("INSERT INTO meta (key, value) VALUES ('instance_id', ?)").run(id);
    return id;
  }

  /** A setting the person chose (kept in the meta table under `setting.<name>`), or undefined where none is set. */
  setting(name: string): string | undefined {
    const value = this.settings.read.get(`setting.${name}`)?.value;
    return typeof value === 'string' ? value : undefined;
  }

  /** Sets a setting, or with undefined removes it (the default applies again). */
  setSetting(name: string, value: string | undefined): void {
    if (value === undefined) this.settings.remove.run(`setting.${name}`);
    else this.settings.write.run(`setting.${name}`, value);
  }

  /**
   * The connection, for kernel subsystems that keep their own tables (kernel/ipc, kernel/workspaces). Their tables
   * are created by the migrations here; they must not hold transactions open across awaits.
   */
  get database(): Database {
    return this.db;
  }

  /** The schema version the database is at (the latest this code knows, once open). */
  get schemaVersion(): number {
    return readSchemaVersion(this.db);
  }

  // --- processes -------------------------------------------------------------------------------------------------

  /** A new PID: never handed out before in this database, and durable (fsynced) before it returns. */
  allocatePid(): number {
    return this.processes.allocatePid();
  }

  /** Inserts or replaces a process; its pid must come from allocatePid (E_INVALID otherwise). */
  putProcess(record: ProcessRecord): void {
    this.processes.put(record);
  }

  getProcess(pid: number): ProcessRecord | undefined {
    return this.processes.get(pid);
  }

  /** Processes matching every field given in the filter, by ascending PID. */
  listProcesses(filter?: ProcessFilter): ProcessRecord[] {
    return this.processes.list(filter);
  }

  /** Removes the process's row (its events stay); returns whether it existed. Its PID is never reused. */
  deleteProcess(pid: number): boolean {
    return this.processes.delete(pid);
  }

  /**
   * After a restart: every process that is neither zombie nor dead and was run by another boot than
   * `currentBootId` becomes dead (phase failed, endedAt now, exitReason 'lost: the kernel stopped while it ran').
   * Returns those records, by ascending PID, with sandbox.osPid and containerId intact for cleanup.
   */
  reconcile(currentBootId: string): ProcessRecord[] {
    return this.processes.reconcile(currentBootId, new Date(this.now()).toISOString());
  }

  // --- event log -------------------------------------------------------------------------------------------------

  /**
   * Appends an event and returns its seq at once; the row is committed with its batch within flushIntervalMs (or
   * sooner when maxBatch events wait). It is acknowledged when onCommit reports a seq at least as high.
   */
  appendEvent(pid: number | null, type: string, payload: unknown): number {
    return this.events.append(pid, type, payload);
  }

  /** Commits every queued event now. */
  flush(): void {
    this.events.flush();
  }

  /** Called after each commit with the highest committed seq: the acknowledgement of every event up to it. */
  onCommit(listener: CommitListener): Disposable {
    return this.events.onCommit(listener);
  }

  /** Failures of background commits and of commit listeners. Without a listener they are logged. */
  onError(listener: StoreErrorListener): Disposable {
    return this.events.onError(listener);
  }

  /** The highest committed seq (0 when the log is empty). */
  get lastCommittedSeq(): number {
    return this.events.lastCommittedSeq;
  }

  /** The `limit` (1 to 10,000) latest events of `pid` (null: the kernel's own), oldest first, newest last. */
  latestEvents(pid: number | null, limit = 500): EventRecord[] {
    return this.events.latest(pid, limit);
  }

  /** Up to `limit` events of `pid` whose seq is above `afterSeq`, oldest first. */
  eventsSince(pid: number | null, afterSeq: number, limit = 500): EventRecord[] {
    return this.events.since(pid, afterSeq, limit);
  }

  // --- conversations ---------------------------------------------------------------------------------------------

  /**
   * Appends one message (any JSON value; binary parts as base64) to the agent's conversation and returns its seq
   * (0 for the first). Committed before it returns.
   */
  appendMessage(pid: number, message: unknown): number {
    return this.conversations.append(pid, message);
  }

  /** Replaces the agent's whole conversation, in one transaction (snapshot restore and rollback). */
  replaceMessages(pid: number, messages: unknown[]): void {
    this.conversations.replace(pid, messages);
  }

  /** Up to `limit` (1 to 10,000) messages of the agent's conversation from seq `offset` on, in order. */
  messages(pid: number, offset = 0, limit = MAX_READ): ConversationEntry[] {
    return this.conversations.read(pid, offset, limit);
  }

  /** How many messages the agent's conversation holds. */
  messageCount(pid: number): number {
    return this.conversations.count(pid);
  }

  /** Commits queued events, then closes the database. Idempotent. */
  close(): void {
    if (!this.db.open) return;
    try {
      this.events.close();
      this.db.prepare("UPDATE meta SET value = 0 WHERE key = 'in_use'").run();
    } finally {
      this.db.close();
    }
  }
}

/** Options without their undefined fields, so they do not override the defaults. */
function definedOnly(options: StoreOptions): StoreOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}
