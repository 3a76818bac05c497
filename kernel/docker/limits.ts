import { HabitatError } from '../../shared/protocol/index.js';

/** Resource limits of one agent's container, enforced by its cgroups (and RLIMIT_NOFILE). */
export interface ContainerLimits {
  /** Memory in bytes; swap is set equal, so the container gets no swap. */
  memoryBytes?: number;
  /** CPUs (fractions allowed): CFS quota, not pinning. */
  cpus?: number;
  /** Processes and threads in the container: what stops a fork bomb. */
  pids?: number;
  /** RLIMIT_NOFILE of every process. */
  openFiles?: number;
}

const MIB = 1024 * 1024;

export const DEFAULT_CONTAINER_LIMITS: Readonly<Required<ContainerLimits>> = {
  memoryBytes: 512 * MIB,
  cpus: 1,
  pids: 256,
  openFiles: 4096,
};

interface Bound {
  min: number;
  max: number;
  integer: boolean;
}

// memory: Docker refuses less than 6 MiB; pids: a shell and one command need a handful
const BOUNDS: Record<keyof ContainerLimits, Bound> = {
  memoryBytes: { min: 6 * MIB, max: 2 ** 50, integer: true },
  cpus: { min: 0.01, max: 1024, integer: false },
  pids: { min: 8, max: 4_194_304, integer: true },
  openFiles: { min: 64, max: 1_048_576, integer: true },
};

/** Fills in the defaults and checks every value, failing with E_INVALID that names the bad one. */
export function resolveLimits(
  limits: ContainerLimits = {},
  defaults: Required<ContainerLimits> = DEFAULT_CONTAINER_LIMITS,
): Required<ContainerLimits> {
  const resolved = { ...defaults };
  for (const key of Object.keys(BOUNDS) as (keyof ContainerLimits)[]) {
    const value = limits[key] ?? defaults[key];
    const { min, max, integer } = BOUNDS[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
      throw new HabitatError('E_INVALID', `limit ${key} must be ${integer ? 'an integer' : 'a number'}`, {
        [key]: value,
      });
    }
    if (value < min || value > max) {
      throw new HabitatError('E_INVALID', `limit ${key} must be from ${min} to ${max}`, { [key]: value });
    }
    resolved[key] = value;
  }
  return resolved;
}
