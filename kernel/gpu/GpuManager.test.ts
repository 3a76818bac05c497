import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { GpuStatsSchema, type GpuStats } from '../../shared/protocol/index.js';
import { tempDir, waitFor } from '../../test/helpers.js';
import { EventBus } from '../events/index.js';
import { GpuManager } from './GpuManager.js';

const STUB = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'nvidia-smi', 'nvidia-smi');
const dir = tempDir('habitat-gpu-');
const managers: GpuManager[] = [];

function manager(options: ConstructorParameters<typeof GpuManager>[1], events = new EventBus()) {
  const gpus = new GpuManager(events, options);
  managers.push(gpus);
  return { gpus, events };
}

afterAll(() => dir.cleanup());
afterEach(() => {
  for (const gpus of managers.splice(0)) gpus.stop();
  delete process.env.FAKE_NVIDIA_SMI;
  delete process.env.FAKE_NVIDIA_SMI_LOG;
  vi.restoreAllMocks();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the GPU subsystem', () => {
  it('lists the GPUs with the process holding each', async () => {
    const { gpus } = manager({ nvidiaSmi: STUB });
    await gpus.detect();
    gpus.allocator.allocate(42, ['1']);
    const list = await gpus.list();
    expect(list.warning).toBeNull();
    expect(list.gpus.map((g) => [g.index, g.heldBy])).toEqual([
      [0, null],
      [1, 42],
    ]);
  });

  it('polls gpu.stats only while someone listens, with figures that change', async () => {
    const calls = join(dir.path, 'calls.log');
    writeFileSync(calls, '');
    process.env.FAKE_NVIDIA_SMI = 'busy';
    process.env.FAKE_NVIDIA_SMI_LOG = calls;
    const { gpus, events } = manager({ nvidiaSmi: STUB, pollMs: 40 });
    await gpus.detect();
    gpus.start();
    const count = () => readFileSync(calls, 'utf8').split('\n').filter(Boolean).length;

    await sleep(250);
    expect(count()).toBe(1); // the detection; nobody listens, so no polling

    const samples: GpuStats[] = [];
    const listener = events.on('gpu.stats', (payload) => samples.push(GpuStatsSchema.parse(payload)));
    await waitFor(() => samples.length >= 3, 5000, 'three gpu.stats samples');
    expect(samples[0]!.gpus).toHaveLength(2);
    const utilizations = new Set(samples.flatMap((s) => s.gpus.map((g) => g.utilization)));
    expect(utilizations.size).toBeGreaterThan(1);

    listener.dispose();
    await sleep(300); // a call in flight may finish
    const after = count();
    await sleep(300);
    expect(count()).toBe(after);
  });

  it('without nvidia-smi: no GPUs, no polling, and not a word on the console', async () => {
    const error = vi.spyOn(console, 'error');
    const warn = vi.spyOn(console, 'warn');
    const { gpus, events } = manager({ nvidiaSmi: join(dir.path, 'absent', 'nvidia-smi'), pollMs: 20 });
    await gpus.detect();
    gpus.start();
    const samples: unknown[] = [];
    events.on('gpu.stats', (payload) => samples.push(payload));
    await sleep(150);
    expect(await gpus.list()).toEqual({ gpus: [], warning: null });
    expect(samples).toEqual([]);
    expect(error).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
  });

  it('a failing nvidia-smi is a warning, logged once, and the GPUs it knew stay', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const { gpus } = manager({ nvidiaSmi: STUB });
    await gpus.detect();
    gpus.allocator.allocate(5, 1);
    process.env.FAKE_NVIDIA_SMI = 'nodriver';
    const first = await gpus.list();
    await gpus.list();
    expect(first.warning).toMatch(/nvidia-smi failed \(exit 9\)/);
    expect(first.gpus.map((g) => g.heldBy)).toEqual([5, null]);
    expect(error).toHaveBeenCalledTimes(1);
    delete process.env.FAKE_NVIDIA_SMI;
    expect((await gpus.list()).warning).toBeNull();
  });

  it('concurrent callers share one nvidia-smi call', async () => {
    const calls = join(dir.path, 'shared.log');
    writeFileSync(calls, '');
    process.env.FAKE_NVIDIA_SMI_LOG = calls;
    const { gpus } = manager({ nvidiaSmi: STUB });
    await Promise.all([gpus.list(), gpus.list(), gpus.detect()]);
    expect(readFileSync(calls, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });
});
