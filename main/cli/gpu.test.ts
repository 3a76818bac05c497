import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GpuInfoSchema, GpuStatsSchema } from '../../shared/protocol/index.js';
import { servedCli } from '../../test/servedCli.js';
import { parseGpus } from './commands/gpus.js';
import { EXIT } from './program.js';

// The GPU verbs, run as real subprocesses against a headless host whose PATH has the stand-in nvidia-smi (two H100s).
const STUB_DIR = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'nvidia-smi');
const A = 'GPU-6b5c8f2e-3a1d-4e9b-9c7a-0f12d34e5a67';
const B = 'GPU-a41e07d3-8c2b-4f61-b5d9-7e3c2a1f0b84';

describe('parseGpus (spawn --gpus)', () => {
  it('reads a count, a list of ids, and device= for one index', () => {
    expect(parseGpus('2')).toBe(2);
    expect(parseGpus('0,1')).toEqual(['0', '1']);
    expect(parseGpus(` ${A} `)).toEqual([A]);
    expect(parseGpus('device=1')).toEqual(['1']);
    expect(parseGpus('1,')).toEqual(['1']);
    expect(() => parseGpus(',')).toThrow(/not a GPU count/);
  });
});

describe('habitat gpu', () => {
  const { run, json } = servedCli({ ...process.env, PATH: `${STUB_DIR}:${process.env.PATH}` });

  it('gpu ls --json lists the GPUs; spawn --gpus takes one, and ls says who holds it', async () => {
    const gpus = (await json(['gpu', 'ls'])).map((g: unknown) => GpuInfoSchema.parse(g));
    expect(gpus.map((g: { uuid: string; heldBy: number | null }) => [g.uuid, g.heldBy])).toEqual([
      [A, null],
      [B, null],
    ]);
    expect(gpus[0]).toMatchObject({ index: 0, name: 'NVIDIA H100 80GB HBM3', memoryTotal: 81559 * 2 ** 20 });

    const agent = await json(['spawn', '--gpus', 'device=1']);
    expect(agent.gpus).toEqual([B]);
    expect((await json(['gpu', 'ls'])).map((g: { heldBy: number | null }) => g.heldBy)).toEqual([
      null,
      agent.pid,
    ]);

    const table = await run(['gpu', 'ls']);
    expect(table.code).toBe(EXIT.ok);
    const [header, first, second] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^GPU\s+NAME\s+UUID\s+UTIL\s+MEMORY\s+TEMP\s+POWER\s+HELD BY$/);
    expect(first).toMatch(
      new RegExp(`^0\\s+NVIDIA H100 80GB HBM3\\s+${A}\\s+0%\\s+0 B / 79\\.6 GiB\\s+31C\\s+69 W\\s+-$`),
    );
    expect(second).toMatch(new RegExp(`\\s${agent.pid}$`));
  });

  it('spawn --gpus asking for more than is free exits 1 with E_LIMIT', async () => {
    const refused = await run(['spawn', '--gpus', '2']);
    expect(refused.code).toBe(EXIT.error);
    expect(refused.stderr).toMatch(/E_LIMIT: 2 GPUs requested but only 1 of 2 are free \(0\)/);
    const json = await run(['--json', 'spawn', '--gpus', '0,0']);
    expect(json.code).toBe(EXIT.error);
    expect(JSON.parse(json.stdout).error.code).toBe('E_INVALID');
  });

  it('gpu stats prints samples as the kernel polls them', async () => {
    const result = await run(['--json', 'gpu', 'stats', '-n', '2']);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    const samples = result.stdout
      .trim()
      .split('\n')
      .map((line) => GpuStatsSchema.parse(JSON.parse(line)));
    expect(samples).toHaveLength(2);
    for (const sample of samples) expect(sample.gpus.map((g) => g.uuid)).toEqual([A, B]);

    const human = await run(['gpu', 'stats', '--count', '1']);
    expect(human.stdout).toMatch(/^\d\d:\d\d:\d\d\nGPU\s+UTIL\s+MEMORY\s+TEMP\s+POWER\s+HELD BY\n0\s+0%/);
  });
});
