import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { HabitatError } from '../../shared/protocol/index.js';
import { tempDir } from '../../test/helpers.js';
import { LOST_EXIT_REASON, SCHEMA_VERSION, Store } from './index.js';
import { applyMigrations, type Migration } from './migrations.js';
import { processRecord } from './testing/records.js';

const dir = tempDir('habitat-store-');
afterAll(() => dir.cleanup());
let dbCount = 0;
const freshPath = () => join(dir.path, `db-${++dbCount}`, 'habitat.db');

function thrown(fn: () => unknown): HabitatError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(HabitatError);
    return error as HabitatError;
  }
  throw new Error('expected a HabitatError, nothing was thrown');
}

describe('store migrations', () => {
  it('builds the schema on a fresh database, in WAL mode', () => {
    const path = freshPath();
    const store = Store.open(path);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    store.close();
    const raw = new Database(path);
    const tables = raw
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((t) => t.name);
    expect(tables).toEqual([
      'conversations',
      'events',
      'messages',
      'meta',
      'processes',
      'rollback_commits',
      'workspace_grants',
      'workspace_mounts',
      'workspaces',
    ]);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('is idempotent on reopen and keeps the data', () => {
    const path = freshPath();
    const first = Store.open(path);
    const pid = first.allocatePid();
    first.putProcess(processRecord(pid));
    first.close();
    const second = Store.open(path);
    expect(second.schemaVersion).toBe(SCHEMA_VERSION);
    expect(second.getProcess(pid)).toEqual(processRecord(pid));
    second.close();
  });

  it('applies each step once, in order, and all or nothing', () => {
    const raw = new Database(':memory:');
    const ran: number[] = [];
    const step = (version: number, sql: string): Migration => ({
      version,
      description: `step ${version}`,
      up: (db) => {
        ran.push(version);
        db.exec(sql);
      },
    });
    const steps = [step(1, 'CREATE TABLE a (x)'), step(2, 'CREATE TABLE b (x)')];
    expect(applyMigrations(raw, steps)).toBe(0);
    expect(applyMigrations(raw, steps)).toBe(2);
    expect(ran).toEqual([1, 2]);

    const broken = [...steps, step(3, 'CREATE TABLE c (x)'), step(4, 'NOT SQL')];
    expect(() => applyMigrations(raw, broken)).toThrow();
    expect(raw.pragma('user_version', { simple: true })).toBe(2);
    expect(raw.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'c'").get()).toEqual({ n: 0 });
    raw.close();
  });

  it('also runs in memory, for tests of code that needs a store', () => {
    const store = Store.open(':memory:');
    const pid = store.allocatePid();
    store.putProcess(processRecord(pid));
    store.appendEvent(pid, 'agent.step', { ok: true });
    expect(store.getProcess(pid)?.pid).toBe(pid);
    expect(store.latestEvents(pid).map((e) => e.payload)).toEqual([{ ok: true }]);
    store.close();
  });

  it('refuses a database from a newer Habitat with E_CONFLICT, and leaves it alone', () => {
    const path = freshPath();
    Store.open(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const error = thrown(() => Store.open(path));
    expect(error.code).toBe('E_CONFLICT');
    expect(error.message).toMatch(/newer/);
    const after = new Database(path);
    expect(after.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    after.close();
  });

  it('refuses a second store on the same database while the first is open', () => {
    const path = freshPath();
    const first = Store.open(path);
    expect(thrown(() => Store.open(path, { busyTimeoutMs: 50 })).code).toBe('E_CONFLICT');
    first.close();
    Store.open(path).close();
  });

  it('refuses a file that is not a database with E_INVALID', () => {
    const path = join(dir.path, 'not-a-db');
    writeFileSync(path, 'hello, this is text and not SQLite at all '.repeat(100));
    expect(thrown(() => Store.open(path)).code).toBe('E_INVALID');
  });
});

describe('store settings', () => {
  it('keeps a setting across reopen, replaces it, and forgets it when removed', () => {
    const path = freshPath();
    let store = Store.open(path);
    expect(store.setting('ollamaHost')).toBeUndefined();
    store.setSetting('ollamaHost', 'http://gpu-box:11434');
    store.setSetting('ollamaHost', 'http://other:11434');
    store.setSetting('theme', 'dark');
    store.close();
    store = Store.open(path);
    expect(store.setting('ollamaHost')).toBe('http://other:11434');
    expect(store.setting('theme')).toBe('dark');
    store.setSetting('ollamaHost', undefined);
    expect(store.setting('ollamaHost')).toBeUndefined();
    // settings live apart from the store's own counters
    store.setSetting('last_pid', 'x');
    expect(store.allocatePid()).toBe(1);
    expect(store.setting('theme')).toBe('dark');
    store.close();
  });
});

describe('store processes', () => {
  it('never reuses a PID: across reopen, after deleting rows', () => {
    const path = freshPath();
    const store = Store.open(path);
    const pids = [store.allocatePid(), store.allocatePid(), store.allocatePid()];
    expect(pids).toEqual([1, 2, 3]);
    for (const pid of pids) store.putProcess(processRecord(pid));
    expect(store.deleteProcess(3)).toBe(true);
    expect(store.deleteProcess(3)).toBe(false);
    expect(store.allocatePid()).toBe(4);
    store.close();

    const reopened = Store.open(path);
    for (const pid of [1, 2]) reopened.deleteProcess(pid);
    expect(reopened.listProcesses()).toEqual([]);
    expect(reopened.allocatePid()).toBe(5);
    reopened.close();
    const again = Store.open(path, { synchronous: 'full' });
    expect(again.allocatePid()).toBe(6);
    again.close();
  });

  it('stores, replaces and reads back a record exactly', () => {
    const store = Store.open(freshPath());
    const pid = store.allocatePid();
    const record = processRecord(pid, { config: { nested: { list: [1, 'two', null] } }, role: null });
    store.putProcess(record);
    expect(store.getProcess(pid)).toEqual(record);
    const ended = {
      ...record,
      state: 'zombie',
      phase: 'completed',
      exitCode: 0,
      exitReason: 'done',
    } as const;
    store.putProcess({ ...ended, endedAt: '2025-01-01T00:01:00.000Z' });
    expect(store.getProcess(pid)).toEqual({ ...ended, endedAt: '2025-01-01T00:01:00.000Z' });
    expect(store.getProcess(999)).toBeUndefined();
    store.close();
  });

  it('refuses records it cannot keep sound with E_INVALID', () => {
    const store = Store.open(freshPath());
    const pid = store.allocatePid();
    expect(thrown(() => store.putProcess(processRecord(pid + 1))).code).toBe('E_INVALID'); // never allocated
    expect(thrown(() => store.putProcess(processRecord(0))).code).toBe('E_INVALID');
    const badState = { ...processRecord(pid), state: 'flying' } as unknown as ReturnType<
      typeof processRecord
    >;
    expect(thrown(() => store.putProcess(badState)).code).toBe('E_INVALID');
    const badConfig = processRecord(pid, { config: { size: 1n } });
    expect(thrown(() => store.putProcess(badConfig)).code).toBe('E_INVALID');
    expect(store.listProcesses()).toEqual([]);
    store.close();
  });

  it('lists by state, phase and parent', () => {
    const store = Store.open(freshPath());
    const pids = Array.from({ length: 6 }, () => store.allocatePid());
    const [a, b, c, d, e, f] = pids as [number, number, number, number, number, number];
    store.putProcess(processRecord(a));
    store.putProcess(processRecord(b, { ppid: a, state: 'sleeping', phase: 'waiting' }));
    store.putProcess(processRecord(c, { ppid: a, state: 'running', phase: 'executing' }));
    store.putProcess(processRecord(d, { ppid: b, state: 'stopped', phase: 'waiting' }));
    store.putProcess(processRecord(e, { state: 'dead', phase: 'failed' }));
    store.putProcess(processRecord(f, { ppid: a, state: 'zombie', phase: 'completed' }));
    const pidsOf = (records: { pid: number }[]) => records.map((r) => r.pid);

    expect(pidsOf(store.listProcesses())).toEqual(pids);
    expect(pidsOf(store.listProcesses({}))).toEqual(pids);
    expect(pidsOf(store.listProcesses({ states: ['running', 'sleeping'] }))).toEqual([a, b, c]);
    expect(pidsOf(store.listProcesses({ phases: ['waiting'] }))).toEqual([b, d]);
    expect(pidsOf(store.listProcesses({ ppid: a }))).toEqual([b, c, f]);
    expect(pidsOf(store.listProcesses({ ppid: null }))).toEqual([a, e]);
    expect(pidsOf(store.listProcesses({ ppid: a, states: ['running'], phases: ['executing'] }))).toEqual([c]);
    expect(pidsOf(store.listProcesses({ states: [] }))).toEqual([]);
    store.close();
  });

  it('reconciles: processes of another boot that were alive become dead; dead and zombie ones stay', () => {
    const nowMs = Date.parse('2025-06-01T12:00:00.000Z');
    const store = Store.open(freshPath(), { now: () => nowMs });
    const make = (overrides: Parameters<typeof processRecord>[1]) => {
      const record = processRecord(store.allocatePid(), overrides);
      store.putProcess(record);
      return record;
    };
    const lost = [
      make({ state: 'created', phase: 'booting', sandbox: { ...processRecord(0).sandbox, osPid: null } }),
      make({ state: 'running', phase: 'executing' }),
      make({ state: 'sleeping', phase: 'waiting' }),
      make({
        state: 'stopped',
        sandbox: { kind: 'docker', isolation: 'container', osPid: 777, containerId: 'abc123', network: true },
      }),
    ];
    const zombie = make({
      state: 'zombie',
      phase: 'completed',
      exitCode: 0,
      endedAt: '2025-05-01T00:00:00.000Z',
    });
    const dead = make({ state: 'dead', phase: 'failed', exitCode: 137, endedAt: '2025-05-01T00:00:00.000Z' });
    const current = make({ bootId: 'boot-b' });

    const expected = lost.map((r) => ({
      ...r,
      state: 'dead',
      phase: 'failed',
      endedAt: '2025-06-01T12:00:00.000Z',
      exitReason: LOST_EXIT_REASON,
    }));
    const reconciled = store.reconcile('boot-b');
    expect(reconciled).toEqual(expected);
    expect(reconciled.map((r) => r.sandbox.osPid)).toEqual(lost.map((r) => r.sandbox.osPid));
    for (const record of expected) expect(store.getProcess(record.pid)).toEqual(record);
    for (const untouched of [zombie, dead, current])
      expect(store.getProcess(untouched.pid)).toEqual(untouched);
    expect(store.reconcile('boot-b')).toEqual([]);
    store.close();
  });
});
