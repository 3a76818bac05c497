import { describe, expect, it } from 'vitest';
import { GpuDeviceSchema } from '../../shared/protocol/index.js';
import { NVIDIA_SMI_ARGS, parseNvidiaSmi } from './parse.js';

const MIB = 1024 * 1024;
// What an H100 box prints for the query (two idle GPUs, then one at work).
const H100 = [
  '0, GPU-6b5c8f2e-3a1d-4e9b-9c7a-0f12d34e5a67, NVIDIA H100 80GB HBM3, 81559, 0, 0, 31, 69.47',
  '1, GPU-a41e07d3-8c2b-4f61-b5d9-7e3c2a1f0b84, NVIDIA H100 80GB HBM3, 81559, 40112, 87, 64, 512.30',
].join('\n');

function devices(text: string) {
  const parsed = parseNvidiaSmi(text);
  if (!parsed.ok) throw new Error(`expected a parse: ${parsed.error.message}`);
  return parsed.devices;
}

function refusal(text: string) {
  const parsed = parseNvidiaSmi(text);
  if (parsed.ok) throw new Error(`expected a refusal, got ${JSON.stringify(parsed.devices)}`);
  return parsed.error;
}

describe('nvidia-smi output', () => {
  it('asks for the fields in the order the parser reads them', () => {
    expect(NVIDIA_SMI_ARGS).toEqual([
      '--query-gpu=index,uuid,name,memory.total,memory.used,utilization.gpu,temperature.gpu,power.draw',
      '--format=csv,noheader,nounits',
    ]);
  });

  it('reads real lines: MiB to bytes, percent to a share, watts and degrees as printed', () => {
    const [a, b] = devices(H100 + '\n');
    expect(a).toEqual({
      index: 0,
      uuid: 'GPU-6b5c8f2e-3a1d-4e9b-9c7a-0f12d34e5a67',
      name: 'NVIDIA H100 80GB HBM3',
      memoryTotal: 81559 * MIB,
      memoryUsed: 0,
      utilization: 0,
      temperatureC: 31,
      powerW: 69.47,
    });
    expect(b).toMatchObject({ index: 1, memoryUsed: 40112 * MIB, utilization: 0.87, powerW: 512.3 });
    for (const device of [a, b]) expect(GpuDeviceSchema.parse(device)).toEqual(device);
  });

  it('takes figures the device does not report as null', () => {
    const [gpu] = devices(
      '0, GPU-1f2e3d4c-0000-1111-2222-333344445555, Tesla T4, 15360, [N/A], [Not Supported], N/A, [Unknown Error]',
    );
    expect(gpu).toMatchObject({ memoryTotal: 15360 * MIB, memoryUsed: null, utilization: null });
    expect(gpu).toMatchObject({ temperatureC: null, powerW: null });
  });

  it('skips blank lines and carriage returns, and sorts by index', () => {
    const [first, second] = H100.split('\n');
    expect(devices(`\r\n${second}\r\n\r\n${first}\r\n   \n`).map((d) => d.index)).toEqual([0, 1]);
    expect(devices('')).toEqual([]);
    expect(devices('\n\n')).toEqual([]);
  });

  it('keeps a name that has a comma in it', () => {
    const [gpu] = devices('3, GPU-abc, Quadro RTX 8000, Max-Q, 48601, 10, 5, 40, 55.1');
    expect(gpu).toMatchObject({ index: 3, name: 'Quadro RTX 8000, Max-Q', memoryTotal: 48601 * MIB });
  });

  it('refuses garbage with an error value that names the line, never a half-read list', () => {
    const cases: [string, RegExp][] = [
      [
        `${H100}\nNVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.`,
        /line 3.*fields/,
      ],
      ['<?xml version="1.0"?><nvidia_smi_log>', /line 1: expected 8 comma-separated fields, found 1/],
      ['0, GPU-a, H100, 81559 MiB, 0 MiB, 0 %, 31, 69.47 W', /memory\.total is "81559 MiB", not a number/],
      ['x, GPU-a, H100, 81559, 0, 0, 31, 69.47', /index/],
      ['-1, GPU-a, H100, 81559, 0, 0, 31, 69.47', /index -1 is not a GPU index/],
      ['[N/A], GPU-a, H100, 81559, 0, 0, 31, 69.47', /index/],
      ['0, GPU a/b, H100, 81559, 0, 0, 31, 69.47', /uuid/],
      [`${H100.split('\n')[0]}\n${H100.split('\n')[0]}`, /twice/],
    ];
    for (const [text, message] of cases) {
      const error = refusal(text);
      expect(error.code, text).toBe('E_UNAVAILABLE');
      expect(error.message, text).toMatch(/^nvidia-smi printed something it should not: /);
      expect(error.message, text).toMatch(message);
    }
  });
});
