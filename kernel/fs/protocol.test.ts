// The fs domain's schemas, and AgentFs results checked against them (the handlers pass them through as they are).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FS_MAX_PATH_LENGTH,
  FsChangedSchema,
  FsEntrySchema,
  FsListResultSchema,
  FsReadResultSchema,
  fsCommands,
  fsEvents,
} from '../../shared/protocol/fs.js';
import { makeTestHome, type TestHome } from './testHome.js';

describe('fs protocol schemas', () => {
  it('requires a pid and refuses unknown keys in every command', () => {
    const minimal: Record<keyof typeof fsCommands, object> = {
      'fs.stat': { path: 'a' },
      'fs.list': {},
      'fs.read': { path: 'a' },
      'fs.write': { path: 'a', content: '' },
      'fs.mkdir': { path: 'a' },
      'fs.move': { from: 'a', to: 'b' },
      'fs.copy': { from: 'a', to: 'b' },
      'fs.delete': { path: 'a' },
      'fs.watch': {},
      'fs.unwatch': { watchId: 'w1' },
    };
    for (const [name, args] of Object.entries(minimal)) {
      const spec = fsCommands[name as keyof typeof fsCommands];
      expect(spec.args.safeParse({ pid: 1, ...args }).success).toBe(true);
      expect(spec.args.safeParse(args).success).toBe(false);
      expect(spec.args.safeParse({ pid: 1, ...args, extra: 1 }).success).toBe(false);
    }
  });

  it('fills defaults and caps path length', () => {
    expect(fsCommands['fs.read'].args.parse({ pid: 1, path: 'a' })).toEqual({
      pid: 1,
      path: 'a',
      encoding: 'utf8',
    });
    expect(fsCommands['fs.write'].args.parse({ pid: 1, path: 'a', content: 'x' })).toEqual({
      pid: 1,
      path: 'a',
      content: 'x',
      encoding: 'utf8',
      createParents: false,
    });
    expect(fsCommands['fs.list'].args.parse({ pid: 1 })).toEqual({ pid: 1, path: '.' });
    expect(fsCommands['fs.delete'].args.parse({ pid: 1, path: 'a' })).toMatchObject({ recursive: false });
    expect(
      fsCommands['fs.stat'].args.safeParse({ pid: 1, path: 'a'.repeat(FS_MAX_PATH_LENGTH + 1) }).success,
    ).toBe(false);
    expect(fsCommands['fs.read'].args.safeParse({ pid: 1, path: 'a', encoding: 'latin1' }).success).toBe(
      false,
    );
    expect(fsCommands['fs.read'].args.safeParse({ pid: 1, path: 'a', offset: -1 }).success).toBe(false);
  });

  it('describes fs.changed', () => {
    const payload = { pid: 3, watchId: 'w1', path: 'notes/a.md', kind: 'renamed', oldPath: 'a.md' };
    expect(fsEvents['fs.changed'].payload.parse(payload)).toEqual(payload);
    expect(FsChangedSchema.safeParse({ ...payload, kind: 'moved' }).success).toBe(false);
  });
});

describe('AgentFs results match the protocol', () => {
  let t: TestHome;
  beforeAll(async () => (t = await makeTestHome()));
  afterAll(() => t.cleanup());

  it('stat, list, read, write, mkdir, move, copy, delete', async () => {
    FsEntrySchema.parse(await t.fs.write('a.txt', 'hello'));
    FsEntrySchema.parse(await t.fs.stat('.'));
    FsListResultSchema.parse(await t.fs.list('.'));
    FsReadResultSchema.parse(await t.fs.read('a.txt', { encoding: 'base64', offset: 1, length: 2 }));
    FsEntrySchema.parse(await t.fs.mkdir('d'));
    FsEntrySchema.parse(await t.fs.move('a.txt', 'd/a.txt'));
    FsEntrySchema.parse(await t.fs.copy('d', 'e'));
    fsCommands['fs.delete'].result.parse(await t.fs.delete('e', { recursive: true }));
    const watch = await t.fs.watch('d', () => undefined);
    fsCommands['fs.watch'].result.parse({ watchId: watch.id, path: watch.path });
    watch.dispose();
  });
});
