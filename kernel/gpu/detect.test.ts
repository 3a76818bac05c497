import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { queryGpus } from './detect.js';
import { NVIDIA_SMI_ARGS } from './parse.js';

// The stand-in prints what nvidia-smi prints on a box with two H100s (test/fixtures/nvidia-smi/nvidia-smi).
const STUB_DIR = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'nvidia-smi');
const STUB = join(STUB_DIR, 'nvidia-smi');

function scenario(name: string): void {
  process.env.FAKE_NVIDIA_SMI = name;
}
afterEach(() => {
  delete process.env.FAKE_NVIDIA_SMI;
});

function runStub(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(STUB, args, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    ),
  );
}

describe('the stand-in nvidia-smi', () => {
  it('prints the query exactly as the real tool does, and refuses what the real tool refuses', async () => {
    const query = await runStub(NVIDIA_SMI_ARGS);
    expect(query.code).toBe(0);
    expect(query.stdout).toBe(
      '0, GPU-6b5c8f2e-3a1d-4e9b-9c7a-0f12d34e5a67, NVIDIA H100 80GB HBM3, 81559, 0, 0, 31, 69.47\n' +
        '1, GPU-a41e07d3-8c2b-4f61-b5d9-7e3c2a1f0b84, NVIDIA H100 80GB HBM3, 81559, 0, 0, 33, 71.02\n',
    );
    const withUnits = await runStub(['--query-gpu=name,memory.used', '--format=csv']);
    expect(withUnits.stdout.split('\n').slice(0, 2)).toEqual([
      'name, memory.used [MiB]',
      'NVIDIA H100 80GB HBM3, 0 MiB',
    ]);
    const flag = await runStub(['--no-such-flag']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/Invalid combination of input arguments/);
    const field = await runStub(['--query-gpu=index,bogus', '--format=csv']);
    expect(field.code).toBe(2);
    expect(field.stderr).toMatch(/"bogus" is not a valid field/);
  });
});

describe('detection', () => {
  it('finds two H100s', async () => {
    const found = await queryGpus({ nvidiaSmi: STUB });
    expect(found.status).toBe('ok');
    expect(found.devices.map((d) => [d.index, d.name, d.memoryTotal])).toEqual([
      [0, 'NVIDIA H100 80GB HBM3', 81559 * 1024 * 1024],
      [1, 'NVIDIA H100 80GB HBM3', 81559 * 1024 * 1024],
    ]);
  });

  it('looks nvidia-smi up on PATH by default', async () => {
    const path = process.env.PATH;
    process.env.PATH = `${STUB_DIR}:${path}`;
    try {
      expect((await queryGpus()).devices).toHaveLength(2);
    } finally {
      process.env.PATH = path;
    }
  });

  it('takes a missing nvidia-smi as no GPUs, not as an error', async () => {
    expect(await queryGpus({ nvidiaSmi: '/nonexistent/bin/nvidia-smi' })).toEqual({
      status: 'missing',
      devices: [],
    });
    expect((await queryGpus({ nvidiaSmi: 'habitat-no-such-nvidia-smi' })).status).toBe('missing');
  });

  it('reads fields the device does not report as null', async () => {
    scenario('na');
    const found = await queryGpus({ nvidiaSmi: STUB });
    expect(found.status).toBe('ok');
    expect(found.devices[0]).toMatchObject({ utilization: null, powerW: null, temperatureC: 31 });
  });

  it('takes "No devices were found" as zero GPUs', async () => {
    scenario('none');
    expect(await queryGpus({ nvidiaSmi: STUB })).toEqual({ status: 'ok', devices: [] });
  });

  it('reports a tool that fails, prints garbage or hangs as an error value', async () => {
    scenario('nodriver');
    const nodriver = await queryGpus({ nvidiaSmi: STUB });
    expect(nodriver).toMatchObject({ status: 'failed', devices: [], error: { code: 'E_UNAVAILABLE' } });
    if (nodriver.status === 'failed') {
      expect(nodriver.error.message).toMatch(/^nvidia-smi failed \(exit 9\): NVIDIA-SMI has failed/);
    }

    scenario('garbage');
    const garbage = await queryGpus({ nvidiaSmi: STUB });
    expect(garbage).toMatchObject({ status: 'failed', error: { code: 'E_UNAVAILABLE' } });
    if (garbage.status === 'failed') expect(garbage.error.message).toMatch(/line 1: expected 8/);

    scenario('hang');
    const started = Date.now();
    const hung = await queryGpus({ nvidiaSmi: STUB, timeoutMs: 300 });
    expect(hung).toMatchObject({ status: 'failed', error: { code: 'E_TIMEOUT' } });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
