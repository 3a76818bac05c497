import { describe, expect, it } from 'vitest';
import { HabitatError } from '../../shared/protocol/index.js';
import { GpuAllocator } from './GpuAllocator.js';

const A = 'GPU-6b5c8f2e-3a1d-4e9b-9c7a-0f12d34e5a67';
const B = 'GPU-a41e07d3-8c2b-4f61-b5d9-7e3c2a1f0b84';
const C = 'GPU-0c0c0c0c-1111-2222-3333-444455556666';
const twoGpus = () =>
  new GpuAllocator([
    { index: 1, uuid: B },
    { index: 0, uuid: A },
  ]);

function refusal(run: () => unknown): HabitatError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(HabitatError);
    return error as HabitatError;
  }
  throw new Error('expected a HabitatError');
}

describe('GPU allocation', () => {
  it('gives a count of GPUs from the lowest free index, exclusively', () => {
    const gpus = twoGpus();
    expect(gpus.allocate(10, 1)).toEqual([A]);
    expect(gpus.allocate(11, 1)).toEqual([B]);
    expect(gpus.holderOf(A)).toBe(10);
    expect(gpus.holderOf(B)).toBe(11);
    expect(gpus.held(10)).toEqual([A]);
    expect(gpus.free()).toEqual([]);
  });

  it('gives the GPUs named by index or UUID (any case)', () => {
    const gpus = twoGpus();
    expect(gpus.allocate(1, ['1'])).toEqual([B]);
    gpus.release(1);
    expect(gpus.allocate(2, [A.toLowerCase(), '1'])).toEqual([A, B]);
  });

  it('refuses over-allocation with E_LIMIT, saying how many are free, and changes nothing', () => {
    const gpus = twoGpus();
    gpus.allocate(1, 1);
    const tooMany = refusal(() => gpus.allocate(2, 2));
    expect(tooMany.code).toBe('E_LIMIT');
    expect(tooMany.message).toBe('2 GPUs requested but only 1 of 2 are free (1)');
    expect(tooMany.details).toEqual({ requested: 2, free: 1, total: 2 });
    expect(gpus.held(2)).toEqual([]);
    expect(gpus.free().map((d) => d.uuid)).toEqual([B]);

    const taken = refusal(() => gpus.allocate(3, ['0', '1']));
    expect(taken.code).toBe('E_LIMIT');
    expect(taken.message).toBe('GPU 0 is held by process 1: only 1 of 2 are free (1)');
    expect(gpus.holderOf(B)).toBeNull(); // all or nothing: GPU 1 was not taken either

    gpus.allocate(4, 1);
    expect(refusal(() => gpus.allocate(5, 1)).message).toBe('1 GPU requested but only 0 of 2 are free');
  });

  it('says that no GPUs were detected when there are none', () => {
    const none = new GpuAllocator();
    for (const request of [1, ['0']]) {
      const error = refusal(() => none.allocate(1, request));
      expect(error.code).toBe('E_LIMIT');
      expect(error.message).toMatch(/no GPUs were detected/);
    }
  });

  it('refuses unknown, malformed and repeated ids, a bad count, and a second allocation', () => {
    const gpus = twoGpus();
    const unknown = refusal(() => gpus.allocate(1, ['7']));
    expect(unknown.code).toBe('E_NOT_FOUND');
    expect(unknown.message).toBe('no GPU 7 on this host (its GPUs: 0, 1)');
    expect(refusal(() => gpus.allocate(1, ['GPU-ffffffff'])).code).toBe('E_NOT_FOUND');
    expect(refusal(() => gpus.allocate(1, ['../0'])).code).toBe('E_INVALID');
    expect(refusal(() => gpus.allocate(1, ['0', A])).code).toBe('E_INVALID');
    expect(refusal(() => gpus.allocate(1, 0)).code).toBe('E_INVALID');
    expect(refusal(() => gpus.allocate(1, 1.5)).code).toBe('E_INVALID');
    gpus.allocate(1, 1);
    expect(refusal(() => gpus.allocate(1, 1)).code).toBe('E_CONFLICT');
    expect(gpus.free()).toHaveLength(1);
  });

  it('pick says what a request would get without taking it', () => {
    const gpus = twoGpus();
    expect(gpus.pick(2)).toEqual([A, B]);
    expect(gpus.free()).toHaveLength(2);
  });

  it('release frees exactly what the process held; releasing twice or nothing is harmless', () => {
    const gpus = twoGpus();
    gpus.allocate(1, 1);
    gpus.allocate(2, 1);
    expect(gpus.release(1)).toEqual([A]);
    expect(gpus.release(1)).toEqual([]);
    expect(gpus.release(99)).toEqual([]);
    expect(gpus.holderOf(A)).toBeNull();
    expect(gpus.holderOf(B)).toBe(2);
    expect(gpus.allocate(3, 1)).toEqual([A]);
  });

  it('rebuilds from what live agents hold: nothing leaks, nothing is given twice', () => {
    const gpus = twoGpus();
    gpus.allocate(1, 2); // from before the restart: gone
    const conflicts = gpus.rebuild([
      { pid: 7, gpus: [B] },
      { pid: 8, gpus: [] },
      { pid: 9, gpus: [B] }, // a corrupt record claiming a held GPU: the first claim wins
    ]);
    expect(conflicts).toEqual([{ pid: 9, uuid: B }]);
    expect(gpus.holderOf(A)).toBeNull();
    expect(gpus.holderOf(B)).toBe(7);
    expect(gpus.held(1)).toEqual([]);
    expect(refusal(() => gpus.allocate(2, 2)).code).toBe('E_LIMIT');
    expect(gpus.allocate(2, 1)).toEqual([A]);
  });

  it('keeps allocations when the inventory changes', () => {
    const gpus = twoGpus();
    gpus.allocate(1, ['1']);
    gpus.setDevices([{ index: 0, uuid: A }]); // GPU 1 fell off the bus
    expect(gpus.total).toBe(1);
    expect(gpus.held(1)).toEqual([B]);
    gpus.setDevices([
      { index: 0, uuid: A },
      { index: 1, uuid: B },
      { index: 2, uuid: C },
    ]);
    expect(gpus.holderOf(B)).toBe(1);
    expect(gpus.allocate(2, 2)).toEqual([A, C]);
  });
});
