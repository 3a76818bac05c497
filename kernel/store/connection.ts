import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database, { type Database as SqliteDatabase } from 'better-sqlite3';
import { HabitatError } from '../../shared/protocol/index.js';

export interface ConnectionOptions {
  busyTimeoutMs: number;
  synchronous: 'normal' | 'full';
}

const IN_MEMORY = ':memory:';

/** Opens the database file with the pragmas the store relies on; the caller owns the returned connection. */
export function openConnection(path: string, options: ConnectionOptions): SqliteDatabase {
  if (path !== IN_MEMORY) mkdirSync(dirname(path), { recursive: true });
  let db: SqliteDatabase;
  try {
    db = new Database(path, { timeout: options.busyTimeoutMs });
  } catch (error) {
    throw asHabitatError(error, `cannot open the database ${path}`);
  }
  try {
    // The event log hands out sequence numbers from memory, which is only sound with one writer: an exclusive
    // lock, held until close, makes a second kernel on the same data folder fail at open instead of colliding.
    // In WAL mode it also spares the shared-memory index.
    db.pragma('locking_mode = EXCLUSIVE');
    const journal = db.pragma('journal_mode = WAL', { simple: true });
    if (path !== IN_MEMORY && journal !== 'wal') {
      throw new HabitatError(
        'E_UNAVAILABLE',
        `the database cannot use WAL mode here (journal mode ${journal})`,
      );
    }
    db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('foreign_keys = ON');
    // Fewer, larger checkpoints (~40 MiB of WAL): each one fsyncs twice and rewrites the hot pages of the event
    // index, which every small commit of the event log touches again. The WAL file is then trimmed to 64 MiB.
    db.pragma('wal_autocheckpoint = 10000');
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    db.pragma('cache_size = -16384'); // KiB: 16 MiB keeps the hot index pages of the event log in memory
    return db;
  } catch (error) {
    db.close();
    throw asHabitatError(error, `cannot open the database ${path}`);
  }
}

/** SQLite failures as errors a caller can act on; HabitatErrors pass through unchanged. */
export function asHabitatError(error: unknown, context: string): HabitatError {
  if (error instanceof HabitatError) return error;
  const code = (error as { code?: unknown }).code;
  const reason = error instanceof Error ? error.message : String(error);
  const details = typeof code === 'string' ? { sqlite: code } : undefined;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new HabitatError('E_CONFLICT', `${context}: it is in use by another process`, details);
  }
  if (code === 'SQLITE_NOTADB') {
    return new HabitatError('E_INVALID', `${context}: the file is not a SQLite database`, details);
  }
  if (code === 'SQLITE_FULL') return new HabitatError('E_LIMIT', `${context}: the disk is full`, details);
  return new HabitatError('E_INTERNAL', `${context}: ${reason}`, details);
}
