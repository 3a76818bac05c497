import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { HabitatError } from '../../shared/protocol/index.js';
import { tempDir } from '../../test/helpers.js';
import { SCHEMA_VERSION, Store } from './index.js';
import { applyMigrations, MIGRATIONS } from './migrations.js';
import { processRecord } from './testing/records.js';

const dir = tempDir('habitat-store-gpus-');
afterAll(() => dir.cleanup());

describe('the GPUs of a process record', () => {
  it('a database from before GPUs is migrated: its processes hold none', () => {
    const path = join(dir.path, 'v1.db');
    const raw = new Database(path);
    applyMigrations(raw, MIGRATIONS.slice(0, 1));
    raw
      .prepare(
        `INSERT INTO processes (pid, name, state, phase, sandbox, config, boot_id, created_at)
         VALUES (1, 'old', 'dead', 'completed', '{"kind":"host"}', '{}', 'b', '2025-01-01T00:00:00.000Z')`,
      )
      .run();
    raw.prepare("UPDATE meta SET value = 1 WHERE key = 'last_pid'").run();
    raw.close();

    const store = Store.open(path);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    expect(store.getProcess(1)?.gpus).toEqual([]);
    store.close();
  });

  it('are stored and read back with the record, and must be a list of UUIDs', () => {
    const store = Store.open(join(dir.path, 'fresh.db'));
    const pid = store.allocatePid();
    const gpus = ['GPU-6b5c8f2e-3a1d-4e9b-9c7a-0f12d34e5a67'];
    store.putProcess(processRecord(pid, { gpus }));
    expect(store.getProcess(pid)?.gpus).toEqual(gpus);
    expect(store.listProcesses()[0]?.gpus).toEqual(gpus);
    const bad = { ...processRecord(pid), gpus: [7] } as unknown as ReturnType<typeof processRecord>;
    expect(() => store.putProcess(bad)).toThrow(HabitatError);
    store.close();
  });
});
