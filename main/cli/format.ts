import { formatBytes, formatDuration } from '../../shared/format.js';
import type { SystemInfo } from '../../shared/protocol/index.js';

export { formatBytes, formatDuration };

export function formatInfo(info: SystemInfo): string {
  const rows: [string, string][] = [
    ['kernel', `${info.kernel.state}, up ${formatDuration(info.kernel.uptimeMs)} (pid ${info.kernel.pid})`],
    ['mode', info.mode],
    ['agents', `${info.agents.running} running of ${info.agents.total}`],
    ['host', `${info.host.hostname} ${info.host.platform}/${info.host.arch} ${info.host.release}`],
    ['node', info.host.node],
    ['cpus', String(info.host.cpus)],
    ['memory', `${formatBytes(info.host.memoryFree)} free of ${formatBytes(info.host.memoryTotal)}`],
    [
      'isolation',
      info.sandbox.hostIsolation === 'none'
        ? 'none: host agents run as plain processes of this user (no bubblewrap)'
        : `host agents in ${info.sandbox.hostIsolation}`,
    ],
    ['docker', info.sandbox.dockerEngines.map((e) => `${e.name} (${e.address})`).join(', ') || '-'],
    ['data', info.dataDir],
  ];
  return [
    `Habitat ${info.version}`,
    ...rows.map(([k, v]) => `  ${k.padEnd(9)} ${v}`),
    // what a person must know (isolation off, say): last, where it is seen
    ...info.warnings.map((w) => `WARNING: ${w}`),
  ].join('\n');
}

/** A plain aligned table, like ps prints. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
