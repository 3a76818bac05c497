import type { SandboxLimits } from './types.js';

export const DEFAULT_LIMITS: Required<Pick<SandboxLimits, 'openFiles' | 'processes'>> = {
  openFiles: 4096,
  processes: 1024,
};

/** prlimit(1) flags: it sets the limits on itself, then execs the program, so the PID stays the same. */
export function prlimitArgs(limits: SandboxLimits = {}): string[] {
  const merged = { ...DEFAULT_LIMITS, ...limits };
  const args = [
    `--nofile=${merged.openFiles}:${merged.openFiles}`,
    `--nproc=${merged.processes}:${merged.processes}`,
  ];
  if (merged.cpuSeconds) args.push(`--cpu=${merged.cpuSeconds}:${merged.cpuSeconds}`);
  if (merged.addressSpaceBytes) args.push(`--as=${merged.addressSpaceBytes}:${merged.addressSpaceBytes}`);
  return args;
}
