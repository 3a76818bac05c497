import { readFileSync } from 'node:fs';

/**
 * Busy and total jiffies of the whole machine, from /proc/stat (idle and I/O wait are not busy), and of the busy ones
 * those stolen: a virtual machine's CPUs waiting for the hypervisor, which ran something else.
 */
export function cpuTimes(): { busy: number; total: number; steal: number } {
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

/** The shares of the machine's CPU time that were idle and stolen while `work` ran; undefined without /proc/stat. */
export async function machineShares<T>(
  work: () => Promise<T>,
): Promise<{ value: T; shares: { idle: number; steal: number } | undefined }> {
  let before: ReturnType<typeof cpuTimes> | undefined;
  try {
    before = cpuTimes();
  } catch {
    before = undefined;
  }
  const value = await work();
  if (!before) return { value, shares: undefined };
  const after = cpuTimes();
  const total = after.total - before.total;
  if (total <= 0) return { value, shares: undefined };
  return {
    value,
    shares: {
      idle: Math.max(0, 1 - (after.busy - before.busy) / total), // iowait can go backwards
      steal: (after.steal - before.steal) / total,
    },
  };
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
