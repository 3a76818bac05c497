import { HabitatError } from '../../shared/protocol/index.js';

/** Labels on every container Habitat creates: how it finds its own after a crash, and whose they are. */
export const LABELS = {
  managed: 'dev.habitat.managed',
  /** Which kernel owns it (one per data folder), so kernels sharing an engine never touch each other's. */
  instance: 'dev.habitat.instance',
  pid: 'dev.habitat.pid',
  boot: 'dev.habitat.boot',
  version: 'dev.habitat.version',
  /** A warm-pool spare, made before its agent existed: it names no PID until it is claimed (then the store does). */
  pool: 'dev.habitat.pool',
} as const;

const INSTANCE_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

export interface ContainerIdentity {
  /** The owning kernel's instance id (stable for a data folder): letters, digits, _ . - (at most 63). */
  instance: string;
  /** Habitat's version, for support and for migrations of old containers. */
  version: string;
}

export function assertInstance(instance: string): void {
  if (!INSTANCE_PATTERN.test(instance)) {
    throw new HabitatError('E_INVALID', `a Docker instance id is 1 to 63 of [a-zA-Z0-9_.-]: ${instance}`);
  }
}

export function managedLabels(
  identity: ContainerIdentity,
  pid: number,
  bootId: string,
): Record<string, string> {
  return {
    [LABELS.managed]: '1',
    [LABELS.instance]: identity.instance,
    [LABELS.pid]: String(pid),
    [LABELS.boot]: bootId,
    [LABELS.version]: identity.version,
  };
}

/** A label filter for the engine's list API: Habitat's containers, of one kernel instance if given. */
export function managedFilter(instance?: string): string[] {
  return [`${LABELS.managed}=1`, ...(instance === undefined ? [] : [`${LABELS.instance}=${instance}`])];
}

/** Unique per engine: PIDs are never reused within a data folder, and the instance separates data folders. */
export function containerName(instance: string, pid: number): string {
  return `habitat-${instance}-${pid}`;
}

/** A spare's name until it is claimed (then it is renamed to its agent's containerName). */
export function spareName(instance: string, bootId: string, slot: number): string {
  return `habitat-${instance}-spare-${bootId.slice(0, 8)}-${slot}`;
}

/** The kernel PID a container's labels name, or undefined when they name none. */
export function labelledPid(labels: Record<string, string> | undefined): number | undefined {
  const pid = Number(labels?.[LABELS.pid]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}
