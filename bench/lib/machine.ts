import { readFileSync } from 'node:fs';

type CpuTimes = { busy: number; total: number; steal: number };

/**
 * Busy and total jiffies of the whole machine, from /proc/stat (idle and I/O wait are not busy), and of the busy ones
 * those stolen: a virtual machine's CPUs waiting for the hypervisor, which ran something else.
 */
export function cpuTimes(): CpuTimes {
  // user nice system idle iowait irq softirq steal (then guest and guest_nice, already counted in user and nice)
  const fields = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]!
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total, steal: fields[7] ?? 0 };
}

/**
 * The shares of the machine's CPU time that were busy, idle and stolen while `work` ran; shares undefined where
 * /proc/stat cannot be read or no time passed.
 */
export async function machineShares<T>(
  work: () => Promise<T>,
): Promise<{ value: T; shares: { busy: number; idle: number; steal: number } | undefined }> {
  const read = (): CpuTimes | undefined => {
    try {
      return cpuTimes();
    } catch {
      return undefined;
    }
  };
  const before = read();
  const value = await work();
  const after = before && read();
  const total = before && after ? after.total - before.total : 0;
  if (!before || !after || total <= 0) return { value, shares: undefined };
  const busy = (after.busy - before.busy) / total;
  // iowait can go backwards
  return {
    value,
    shares: { busy, idle: Math.max(0, 1 - busy), steal: (after.steal - before.steal) / total },
  };
}

/** The share of the machine's CPU time that was busy over the next `ms`; undefined where /proc/stat cannot be read. */
export async function machineBusy(ms: number): Promise<number | undefined> {
  const { shares } = await machineShares(() => new Promise((resolve) => setTimeout(resolve, ms)));
  return shares?.busy;
}
