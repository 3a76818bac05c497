import { describe, expect, it } from 'vitest';
import { orphanSegments } from './sharedMemory.js';

describe('orphanSegments', () => {
  const table = [
    '       key      shmid perms                  size  cpid  lpid nattch   uid   gid',
    '         0      32768   600                  8192 22370 22314      0     0     0',
    '         0      32769   600                 12288 22370 22314      1     0     0',
    '         0      32770   600                 12288 22371 22314      0     0     0',
    '         0      32771   600                 12288 22370 22314      0     0     0',
  ].join('\n');

  it('names the segments the process created that nothing holds, and only those', () => {
    expect(orphanSegments(table, 22370)).toEqual([32768, 32771]);
    expect(orphanSegments(table, 4242)).toEqual([]);
  });

  it('finds nothing in a table it cannot read', () => {
    expect(orphanSegments('', 22370)).toEqual([]);
    expect(orphanSegments('key shmid\n0 1', 22370)).toEqual([]);
  });
});
