import { describe, expect, it } from 'vitest';
import { commands, eventSpecForTopic, SpawnArgsSchema } from './index.js';

describe('GPU protocol', () => {
  it('spawn takes a count of 1 to 64 or a list of device ids (indexes become strings)', () => {
    const gpus = (value: unknown) => SpawnArgsSchema.safeParse({ gpus: value });
    expect(gpus(2).data?.gpus).toBe(2);
    expect(gpus([0, '1', 'GPU-6b5c8f2e-3a1d-4e9b-9c7a-0f12d34e5a67']).data?.gpus).toEqual([
      '0',
      '1',
      'GPU-6b5c8f2e-3a1d-4e9b-9c7a-0f12d34e5a67',
    ]);
    expect(SpawnArgsSchema.parse({}).gpus).toBeUndefined();
    for (const bad of [0, 65, 1.5, -1, [], ['../0'], [''], ['a b'], [-1], 'all', Array(65).fill('0')]) {
      expect(gpus(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('gpu.list takes no arguments, and gpu.stats keeps only the latest sample for a slow reader', () => {
    expect(commands['gpu.list'].args.safeParse({}).success).toBe(true);
    expect(commands['gpu.list'].args.safeParse({ all: true }).success).toBe(false);
    expect(eventSpecForTopic('gpu.stats')?.coalesceBy).toBe('*');
  });
});
