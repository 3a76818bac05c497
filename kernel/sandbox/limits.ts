import type { SandboxLimits } from './types.js';

export const DEFAULT_LIMITS: Required<Pick<SandboxLimits, 'openFiles' | 'processes'>> = {
  openFiles: 4096,
  processes: 1024,
};

/** prlimit(1) flags: it sets the limits on itself, then execs the program, so the PID stays the same. */
export function prlimitArgs(limits: SandboxLimits = {}): string[] {
  // `??` and not a spread: a limit given as undefined means the default, not "no value"
  const openFiles = limits.openFiles ?? DEFAULT_LIMITS.openFiles;
  const processes = limits.processes ?? DEFAULT_LIMITS.processes;
  const args = [`--nofile=${openFiles}:${openFiles}`, `--nproc=${processes}:${processes}`];
  if (limits.cpuSeconds) args.push(`--cpu=${limits.cpuSeconds}:${limits.cpuSeconds}`);
  if (limits.addressSpaceBytes) args.push(`--as=${limits.addressSpaceBytes}:${limits.addressSpaceBytes}`);
  return args;
}
