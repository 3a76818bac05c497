import { readFileSync } from 'node:fs';

/** Busy and total jiffies of the whole machine, from /proc/stat (idle and I/O wait are not busy). */
export function cpuTimes(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** The share of the machine's CPU time that was busy over the next `ms`; undefined where /proc/stat cannot be read. */
export async function machineBusy(ms: number): Promise<number | undefined> {
  try {
    const before = cpuTimes();
    await new Promise((resolve) => setTimeout(resolve, ms));
    const after = cpuTimes();
    const total = after.total - before.total;
    return total > 0 ? (after.busy - before.busy) / total : undefined;
  } catch {
    return undefined;
  }
}
