import type { ErrorValue, GpuDevice } from '../../shared/protocol/index.js';

/** The fields asked of nvidia-smi, in the order its CSV lines carry them. */
export const QUERY_FIELDS = [
  'index',
  'uuid',
  'name',
  'memory.total',
  'memory.used',
  'utilization.gpu',
  'temperature.gpu',
  'power.draw',
] as const;

export const NVIDIA_SMI_ARGS = [`--query-gpu=${QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];

export type ParseResult = { ok: true; devices: GpuDevice[] } | { ok: false; error: ErrorValue };

const MIB = 1024 * 1024;
const NUMBER = /^-?\d+(?:\.\d+)?$/;
/** What nvidia-smi prints for a figure it cannot give: [N/A], [Not Supported], [Unknown Error], N/A. */
const UNREPORTED = /^(?:\[[^\]]*\]|N\/A)$/i;

class Garbage extends Error {}

/**
 * Parses `--format=csv,noheader,nounits` output for QUERY_FIELDS: one line per GPU, blank lines skipped. A figure
 * the device does not report is null; anything else that is not what the real tool prints is an error value that
 * names the line, never a half-read list.
 */
export function parseNvidiaSmi(text: string): ParseResult {
  const devices: GpuDevice[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line) continue;
    try {
      devices.push(parseLine(line));
    } catch (error) {
      if (!(error instanceof Garbage)) throw error;
      return garbage(`line ${i + 1}: ${error.message}: ${JSON.stringify(line.slice(0, 160))}`);
    }
  }
  const indexes = new Set(devices.map((d) => d.index));
  const uuids = new Set(devices.map((d) => d.uuid));
  if (indexes.size !== devices.length || uuids.size !== devices.length) {
    return garbage('the same GPU index or UUID appears twice');
  }
  return { ok: true, devices: devices.sort((a, b) => a.index - b.index) };
}

function parseLine(line: string): GpuDevice {
  const cells = line.split(',').map((cell) => cell.trim());
  if (cells.length < QUERY_FIELDS.length) {
    throw new Garbage(`expected ${QUERY_FIELDS.length} comma-separated fields, found ${cells.length}`);
  }
  // A name with a comma in it would split in two: the fields around it have fixed places.
  const [index, uuid] = cells;
  const name = cells.slice(2, cells.length - 5).join(', ');
  const [memoryTotal, memoryUsed, utilization, temperature, power] = cells.slice(-5);
  const indexValue = figure(index!, 'index');
  if (indexValue === null || !Number.isInteger(indexValue) || indexValue < 0) {
    throw new Garbage(`index ${index} is not a GPU index`);
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(uuid!)) throw new Garbage(`uuid ${uuid} is not a GPU UUID`);
  const total = figure(memoryTotal!, 'memory.total');
  const used = figure(memoryUsed!, 'memory.used');
  const busy = figure(utilization!, 'utilization.gpu');
  return {
    index: indexValue,
    uuid: uuid!,
    name,
    memoryTotal: total === null ? null : nonNegative(total) * MIB,
    memoryUsed: used === null ? null : nonNegative(used) * MIB,
    utilization: busy === null ? null : Math.min(1, nonNegative(busy) / 100),
    temperatureC: figure(temperature!, 'temperature.gpu'),
    powerW: nullableNonNegative(figure(power!, 'power.draw')),
  };
}

function figure(cell: string, field: string): number | null {
  if (UNREPORTED.test(cell)) return null;
  if (!NUMBER.test(cell)) throw new Garbage(`${field} is ${JSON.stringify(cell)}, not a number`);
  return Number(cell);
}

function nonNegative(value: number): number {
  return Math.max(0, value);
}

function nullableNonNegative(value: number | null): number | null {
  return value === null ? null : nonNegative(value);
}

function garbage(detail: string): ParseResult {
  return {
    ok: false,
    error: { code: 'E_UNAVAILABLE', message: `nvidia-smi printed something it should not: ${detail}` },
  };
}
