import type { Database } from 'better-sqlite3';
import { HabitatError } from '../../shared/protocol/index.js';

export interface Migration {
  /** The schema version this step produces: 1, 2, 3... with no gaps. */
  version: number;
  description: string;
  up(db: Database): void;
}

/**
 * The schema, as the ordered steps that build it. Never edit a step that has shipped: append a new one. The
 * database records the version it reached in PRAGMA user_version.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'meta counters, processes, event log',
    up: (db) =>
      db.exec(`
        CREATE TABLE meta (
          key TEXT PRIMARY KEY,
          value ANY NOT NULL
        ) STRICT;
        INSERT INTO meta (key, value) VALUES ('last_pid', 0);

        CREATE TABLE processes (
          pid INTEGER PRIMARY KEY,
          ppid INTEGER,
          name TEXT NOT NULL,
          role TEXT,
          goal TEXT,
          state TEXT NOT NULL,
          phase TEXT NOT NULL,
          sandbox TEXT NOT NULL,
          config TEXT NOT NULL,
          boot_id TEXT NOT NULL,
          created_at TEXT NOT NULL,
          ended_at TEXT,
          exit_code INTEGER,
          exit_reason TEXT
        ) STRICT;
        CREATE INDEX processes_by_ppid ON processes (ppid);
        CREATE INDEX processes_by_state ON processes (state, boot_id);

        CREATE TABLE events (
          seq INTEGER PRIMARY KEY,
          pid INTEGER,
          type TEXT NOT NULL,
          at INTEGER NOT NULL,
          payload TEXT NOT NULL
        ) STRICT;
        -- "the latest N events of one pid" walks this index backwards from (pid, +inf)
        CREATE INDEX events_by_pid ON events (pid, seq);
      `),
  },
  {
    version: 2,
    description: 'processes.gpus: the GPUs each agent holds, so a restart can rebuild the allocation table',
    up: (db) => db.exec(`ALTER TABLE processes ADD COLUMN gpus TEXT NOT NULL DEFAULT '[]'`),
  },
  {
    version: 3,
    description: "conversations: each agent's messages to and from its model, in order, so a run can resume",
    up: (db) =>
      db.exec(`
        CREATE TABLE conversations (
          pid INTEGER NOT NULL,
          seq INTEGER NOT NULL, -- 0, 1, 2... within the pid
          at INTEGER NOT NULL,
          message TEXT NOT NULL, -- JSON; binary parts (images) as base64
          PRIMARY KEY (pid, seq)
        ) STRICT;
      `),
  },
  {
    version: 4,
    description: 'messages: a persistent mailbox per agent',
    up: (db) =>
      db.exec(`
        CREATE TABLE messages (
          id INTEGER PRIMARY KEY,
          to_pid INTEGER NOT NULL,
          from_pid INTEGER,
          subject TEXT,
          body TEXT NOT NULL,
          sent_at INTEGER NOT NULL,
          read_at INTEGER,
          broadcast INTEGER NOT NULL DEFAULT 0
        ) STRICT;
        -- a mailbox page walks this index: one agent's messages by id; unread counts filter on read_at
        CREATE INDEX messages_by_recipient ON messages (to_pid, id);
        CREATE INDEX messages_unread ON messages (to_pid, read_at);
      `),
  },
  {
    version: 5,
    description: 'shared workspaces: owners, grants and mounts',
    up: (db) =>
      db.exec(`
        CREATE TABLE workspaces (
          name TEXT PRIMARY KEY,
          owner INTEGER,
          created_at TEXT NOT NULL
        ) STRICT;
        CREATE TABLE workspace_grants (
          name TEXT NOT NULL REFERENCES workspaces (name) ON DELETE CASCADE,
          pid INTEGER NOT NULL,
          mode TEXT NOT NULL CHECK (mode IN ('ro', 'rw')),
          PRIMARY KEY (name, pid)
        ) STRICT;
        CREATE TABLE workspace_mounts (
          name TEXT NOT NULL REFERENCES workspaces (name) ON DELETE CASCADE,
          pid INTEGER NOT NULL,
          mode TEXT NOT NULL CHECK (mode IN ('ro', 'rw')),
          PRIMARY KEY (name, pid)
        ) STRICT;
        CREATE INDEX workspace_mounts_by_pid ON workspace_mounts (pid);
      `),
  },
  {
    version: 6,
    description:
      "rollback commits: a rollback's state changes and this mark commit together (kernel/snapshots)",
    up: (db) =>
      db.exec(`
        CREATE TABLE rollback_commits (
          journal TEXT PRIMARY KEY,
          at INTEGER NOT NULL
        ) STRICT;
      `),
  },
];

export const LATEST_VERSION = MIGRATIONS.length;

/** Brings the database to the latest version in one transaction; returns the version it found. */
export function applyMigrations(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`migration ${i} declares version ${m.version}, expected ${i + 1}`);
  });
  const latest = migrations.length;
  // IMMEDIATE takes the write lock before reading the version, so two openers cannot both apply a step.
  return db
    .transaction(() => {
      const found = readSchemaVersion(db);
      if (found > latest) {
        throw new HabitatError(
          'E_CONFLICT',
          `the database is at schema version ${found}, newer than this Habitat knows (${latest}): ` +
            'open it with a newer Habitat',
          { found, latest },
        );
      }
      for (const migration of migrations.slice(found)) {
        migration.up(db);
        db.pragma(`user_version = ${migration.version}`);
      }
      return found;
    })
    .immediate();
}

export function readSchemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}
