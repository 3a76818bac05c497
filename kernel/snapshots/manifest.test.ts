import { describe, expect, it } from 'vitest';
import { checkEntry, EntrySchema } from './manifest.js';

const hash = 'a'.repeat(64);

// checkEntry stands in for EntrySchema on every entry of a manifest: both must accept and refuse the same things.
describe('manifest entries', () => {
  const cases: unknown[] = [
    { type: 'dir', path: 'a', mode: 0o755, mtime: 1 },
    { type: 'file', path: 'a/b', mode: 0o644, mtime: 1.5, size: 3, hash },
    { type: 'symlink', path: 'l', mtime: 0, target: 'a/b' },
    { type: 'file', path: 'a/b', mode: 0o644, mtime: 1, size: 3, hash, extra: 1 },
    { type: 'file', path: 'a/b', mode: 0o644, mtime: 1, size: 3 },
    { type: 'file', path: 'a/b', mode: 0o644, mtime: 1, size: -1, hash },
    { type: 'file', path: 'a/b', mode: 0o644, mtime: 1, size: 1.5, hash },
    { type: 'file', path: 'a/b', mode: 0o644, mtime: 1, size: 3, hash: 'A'.repeat(64) },
    { type: 'file', path: 'a/b', mode: 0o10000, mtime: 1, size: 3, hash },
    { type: 'file', path: 'a/b', mode: 0o644, mtime: -1, size: 3, hash },
    { type: 'dir', path: 'a', mode: 0o755, mtime: Number.NaN },
    { type: 'dir', path: 1, mode: 0o755, mtime: 1 },
    { type: 'dir', path: 'a', mtime: 1 },
    { type: 'symlink', path: 'l', mtime: 0, target: '' },
    { type: 'symlink', path: 'l', mtime: 0, target: 'x'.repeat(4097) },
    { type: 'symlink', path: 'l', mode: 0o777, mtime: 0, target: 'a' },
    { type: 'fifo', path: 'p', mtime: 0 },
    null,
    [],
    'a',
  ];

  it.each(cases.map((value) => [JSON.stringify(value), value]))('%s', (_, value) => {
    expect(checkEntry(value) === undefined).toBe(EntrySchema.safeParse(value).success);
  });

  it('accepts what it should', () => {
    expect(cases.slice(0, 3).map(checkEntry)).toEqual([undefined, undefined, undefined]);
  });
});
