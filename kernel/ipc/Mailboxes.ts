import type { Database, Statement } from 'better-sqlite3';
import {
  HabitatError,
  MSG_MAX_BODY_BYTES,
  MSG_MAX_SUBJECT_CHARS,
  MSG_MAX_UNREAD,
  type Message,
} from '../../shared/protocol/index.js';
import type { EventBus } from '../events/index.js';

/** Which agents exist and which live (the process table): mail goes only to live ones. */
export interface AgentDirectory {
  /** Throws E_NOT_FOUND for a PID that never existed. */
  get(pid: number): unknown;
  livePids(): Set<number>;
}

export interface MailboxOptions {
  db: Database;
  agents: AgentDirectory;
  /** Every delivery is published on msg.received.<pid>. */
  events?: EventBus;
  maxBodyBytes?: number;
  maxUnread?: number;
  now?: () => number;
}

interface Row {
  id: number;
  to_pid: number;
  from_pid: number | null;
  subject: string | null;
  body: string;
  sent_at: number;
  read_at: number | null;
  broadcast: number;
}

const toMessage = (row: Row): Message => ({
  id: row.id,
  to: row.to_pid,
  from: row.from_pid,
  subject: row.subject,
  body: row.body,
  sentAt: new Date(row.sent_at).toISOString(),
  readAt: row.read_at === null ? null : new Date(row.read_at).toISOString(),
  broadcast: row.broadcast === 1,
});

/**
 * One persistent mailbox per agent, in the kernel's SQLite database (table messages, migration 3): messages
 * survive kernel restarts until acknowledged and after. Bodies and unread counts are bounded (E_LIMIT), so an
 * agent cannot fill the disk or another agent's context with mail.
 */
export class Mailboxes {
  private readonly maxBodyBytes: number;
  private readonly maxUnread: number;
  private readonly now: () => number;
  private readonly sql: Record<
    'insert' | 'unread' | 'page' | 'pageAll' | 'ackAll' | 'all' | 'get',
    Statement
  >;

  constructor(private readonly options: MailboxOptions) {
    this.maxBodyBytes = options.maxBodyBytes ?? MSG_MAX_BODY_BYTES;
    this.maxUnread = options.maxUnread ?? MSG_MAX_UNREAD;
    this.now = options.now ?? Date.now;
    const { db } = options;
    this.sql = {
      insert: db.prepare(
        `INSERT INTO messages (to_pid, from_pid, subject, body, sent_at, read_at, broadcast)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      unread: db.prepare('SELECT count(*) AS n FROM messages WHERE to_pid = ? AND read_at IS NULL'),
      page: db.prepare(
        'SELECT * FROM messages WHERE to_pid = ? AND read_at IS NULL AND id > ? ORDER BY id LIMIT ?',
      ),
      pageAll: db.prepare('SELECT * FROM messages WHERE to_pid = ? AND id > ? ORDER BY id LIMIT ?'),
      ackAll: db.prepare('UPDATE messages SET read_at = ? WHERE to_pid = ? AND read_at IS NULL'),
      all: db.prepare('SELECT * FROM messages WHERE to_pid = ? ORDER BY id'),
      get: db.prepare('SELECT * FROM messages WHERE id = ?'),
    };
  }

  send(message: { to: number; body: string; subject?: string; from?: number }): Message {
    this.checkSender(message.from);
    this.checkRecipient(message.to);
    this.checkSize(message);
    if (this.unread(message.to) >= this.maxUnread) {
      throw new HabitatError(
        'E_LIMIT',
        `the mailbox of ${message.to} is full (${this.maxUnread} unread messages)`,
        { pid: message.to, maxUnread: this.maxUnread },
      );
    }
    const sent = this.insert(message.to, message, false);
    this.received(sent);
    return sent;
  }

  /** To every live agent but the sender; mailboxes that are full are passed over. */
  broadcast(message: { body: string; subject?: string; from?: number }): Message[] {
    this.checkSender(message.from);
    this.checkSize(message);
    const recipients = [...this.options.agents.livePids()].filter(
      (pid) => pid !== message.from && this.unread(pid) < this.maxUnread,
    );
    const sent = this.options.db.transaction(() => recipients.map((to) => this.insert(to, message, true)))();
    for (const each of sent) this.received(each);
    return sent;
  }

  /** Oldest first: the unread ones (or all with `all`) after the id `after`, `limit` at most. */
  check(
    pid: number,
    options: { all?: boolean; after?: number; limit?: number } = {},
  ): { messages: Message[]; unread: number; more: boolean } {
    this.options.agents.get(pid);
    const limit = options.limit ?? 50;
    const statement = options.all ? this.sql.pageAll : this.sql.page;
    const rows = statement.all(pid, options.after ?? 0, limit + 1) as Row[];
    return {
      messages: rows.slice(0, limit).map(toMessage),
      unread: this.unread(pid),
      more: rows.length > limit,
    };
  }

  /** Marks messages read (those of this mailbox only); returns how many changed and how many stay unread. */
  ack(pid: number, options: { ids?: number[]; all?: boolean }): { acknowledged: number; unread: number } {
    this.options.agents.get(pid);
    if (!options.all && !options.ids?.length) {
      throw new HabitatError('E_INVALID', 'name the messages to acknowledge (ids) or all');
    }
    const at = this.now();
    let acknowledged: number;
    if (options.all) {
      acknowledged = this.sql.ackAll.run(at, pid).changes;
    } else {
      const ids = [...new Set(options.ids)];
      acknowledged = this.options.db
        .prepare(
          `UPDATE messages SET read_at = ? WHERE to_pid = ? AND read_at IS NULL AND id IN (${ids.map(() => '?').join(',')})`,
        )
        .run(at, pid, ...ids).changes;
    }
    return { acknowledged, unread: this.unread(pid) };
  }

  /** Every message of a mailbox, read or not (snapshots). */
  export(pid: number): Message[] {
    return (this.sql.all.all(pid) as Row[]).map(toMessage);
  }

  /**
   * Takes a live agent's mailbox back to an earlier export (a rollback): what it had read then is read, what it
   * had not read then is unread again, and mail that came after is kept, unread (the agent as it was then never saw
   * it). Messages of the export no longer there are put back.
   */
  rewind(pid: number, messages: Message[]): void {
    const then = new Map(messages.map((m) => [m.id, m]));
    const setRead = this.options.db.prepare('UPDATE messages SET read_at = ? WHERE id = ? AND to_pid = ?');
    this.options.db.transaction(() => {
      const now = this.export(pid);
      for (const m of now) {
        const before = then.get(m.id);
        setRead.run(before?.readAt ? Date.parse(before.readAt) : null, m.id, pid);
        then.delete(m.id);
      }
      this.import(pid, [...then.values()]);
    })();
  }

  /** Puts exported messages into another mailbox (a restored agent's), keeping who sent them and when. */
  import(pid: number, messages: Message[]): void {
    this.options.db.transaction(() => {
      for (const m of messages) {
        this.sql.insert.run(
          pid,
          m.from,
          m.subject,
          m.body,
          Date.parse(m.sentAt),
          m.readAt === null ? null : Date.parse(m.readAt),
          m.broadcast ? 1 : 0,
        );
      }
    })();
  }

  private received(message: Message): void {
    this.options.events?.emitScoped('msg.received', message.to, message);
  }

  private unread(pid: number): number {
    return (this.sql.unread.get(pid) as { n: number }).n;
  }

  private insert(to: number, message: { body: string; subject?: string; from?: number }, broadcast: boolean) {
    const info = this.sql.insert.run(
      to,
      message.from ?? null,
      message.subject ?? null,
      message.body,
      this.now(),
      null,
      broadcast ? 1 : 0,
    );
    return toMessage(this.sql.get.get(info.lastInsertRowid) as Row);
  }

  private checkSender(from: number | undefined): void {
    if (from === undefined) return;
    this.options.agents.get(from);
    if (!this.options.agents.livePids().has(from))
      throw new HabitatError('E_CONFLICT', `process ${from} has ended`);
  }

  private checkRecipient(to: number): void {
    this.options.agents.get(to);
    if (!this.options.agents.livePids().has(to)) {
      throw new HabitatError('E_CONFLICT', `process ${to} has ended: its mailbox takes no new mail`);
    }
  }

  private checkSize(message: { body: string; subject?: string }): void {
    const bytes = Buffer.byteLength(message.body);
    if (bytes > this.maxBodyBytes) {
      throw new HabitatError(
        'E_LIMIT',
        `a message body holds at most ${this.maxBodyBytes} bytes (${bytes})`,
        {
          bytes,
          maxBodyBytes: this.maxBodyBytes,
        },
      );
    }
    if ((message.subject?.length ?? 0) > MSG_MAX_SUBJECT_CHARS) {
      throw new HabitatError('E_LIMIT', `a subject holds at most ${MSG_MAX_SUBJECT_CHARS} characters`);
    }
  }
}
