import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { HabitatError } from '../../shared/protocol/index.js';
import { tempDir } from '../../test/helpers.js';
import { SCHEMA_VERSION, Store } from './index.js';
import { applyMigrations, MIGRATIONS } from './migrations.js';

const dir = tempDir('habitat-store-conversations-');
afterAll(() => dir.cleanup());
let count = 0;
const freshPath = () => join(dir.path, `db-${++count}.db`);

describe('agent conversations in the store', () => {
  it('numbers each agent’s messages 0, 1, 2... and reads them back in order, paged', () => {
    let now = 1000;
    const store = Store.open(freshPath(), { now: () => now++ });
    expect(store.appendMessage(1, { role: 'user', content: 'goal' })).toBe(0);
    expect(store.appendMessage(2, { role: 'user', content: 'other agent' })).toBe(0);
    expect(store.appendMessage(1, { role: 'assistant', content: 'on it', toolCalls: [] })).toBe(1);
    expect(store.appendMessage(1, { role: 'tool', callId: 'c1', name: 'think', content: 'ok' })).toBe(2);

    expect(store.messageCount(1)).toBe(3);
    expect(store.messageCount(2)).toBe(1);
    expect(store.messageCount(3)).toBe(0);
    expect(store.messages(1)).toEqual([
      { seq: 0, at: 1000, message: { role: 'user', content: 'goal' } },
      { seq: 1, at: 1002, message: { role: 'assistant', content: 'on it', toolCalls: [] } },
      { seq: 2, at: 1003, message: { role: 'tool', callId: 'c1', name: 'think', content: 'ok' } },
    ]);
    expect(store.messages(1, 1, 1).map((m) => m.seq)).toEqual([1]);
    expect(store.messages(1, 3)).toEqual([]);
    store.close();
  });

  it('commits each message before it returns: a kernel killed right after keeps it', () => {
    const path = freshPath();
    const image = Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString('base64');
    const message = { role: 'user', content: 'look', images: [{ mimeType: 'image/png', data: image }] };
    // a kernel that appends one message and is SIGKILLed at once: nothing gets the chance to flush or close
    const store = pathToFileURL(join(import.meta.dirname, 'index.ts')).href;
    const script = `
      import { Store } from ${JSON.stringify(store)};
      Store.open(${JSON.stringify(path)}).appendMessage(7, ${JSON.stringify(message)});
      process.kill(process.pid, 'SIGKILL');`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
    expect(child.signal, child.stderr.toString()).toBe('SIGKILL');

    const reopened = Store.open(path);
    expect(reopened.messages(7)).toEqual([{ seq: 0, at: expect.any(Number), message }]);
    reopened.close();
  });

  it('refuses bad PIDs, bad pages and values JSON cannot hold', () => {
    const store = Store.open(freshPath());
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        expect(error).toBeInstanceOf(HabitatError);
        return (error as HabitatError).code;
      }
      return 'nothing thrown';
    };
    expect(code(() => store.appendMessage(0, {}))).toBe('E_INVALID');
    expect(code(() => store.appendMessage(1, { n: 1n }))).toBe('E_INVALID');
    expect(code(() => store.messages(1, -1))).toBe('E_INVALID');
    expect(code(() => store.messages(1, 0, 0))).toBe('E_INVALID');
    expect(store.messageCount(1)).toBe(0); // the refused appends stored nothing
    store.close();
  });

  it('a database from before conversations is migrated and keeps its processes', () => {
    const path = freshPath();
    const raw = new Database(path);
    applyMigrations(raw, MIGRATIONS.slice(0, 2));
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
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(3);
    expect(store.getProcess(1)?.name).toBe('old');
    expect(store.appendMessage(1, { role: 'user', content: 'hi' })).toBe(0);
    store.close();
  });
});
