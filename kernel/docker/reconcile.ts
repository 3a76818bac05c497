import { ContainerAgent } from './ContainerAgent.js';
import type { DockerEngine } from './DockerEngine.js';
import { LABELS, labelledPid, managedFilter } from './labels.js';

/** One of Habitat's containers as the engine lists it. */
export interface ManagedContainer {
  id: string;
  name: string;
  instance: string | undefined;
  /** The kernel PID its labels name; undefined if they name none (then it is removed on reconcile). */
  pid: number | undefined;
  bootId: string | undefined;
  /** Docker's state: created, running, paused, restarting, removing, exited or dead. */
  state: string;
}

export interface ReconcileOptions {
  /** Only this kernel instance's containers are considered; others on the same engine are left alone. */
  instance: string;
  /** This kernel's boot: containers it created itself (while reconciliation ran) are never touched. */
  bootId: string;
  /** Whether the kernel still has a live process for this PID: its container is then kept. */
  isLive(pid: number): boolean;
  /** Containers of live processes by id: a claimed warm-pool spare names no PID in its labels. */
  liveContainers?: ReadonlySet<string>;
}

export interface ReconcileResult {
  /** Ids of running or paused containers of live processes: the kernel re-attaches them (DockerSandbox.attach). */
  reattached: string[];
  /** Ids of the containers removed: of dead or unknown processes, or no longer running. */
  removed: string[];
  /** Containers that should have been removed but could not be (a busy filesystem, an engine timeout). */
  failed: { id: string; name: string; error: unknown }[];
}

/** Habitat's containers on the engine (all states), of one kernel instance if given. */
export async function listManaged(engine: DockerEngine, instance?: string): Promise<ManagedContainer[]> {
  const containers = await engine.call('list containers', (abortSignal) =>
    engine.docker.listContainers({ all: true, filters: { label: managedFilter(instance) }, abortSignal }),
  );
  return containers.map((container) => ({
    id: container.Id,
    name: (container.Names[0] ?? '').replace(/^\//, ''),
    instance: container.Labels[LABELS.instance],
    pid: labelledPid(container.Labels),
    bootId: container.Labels[LABELS.boot],
    state: container.State,
  }));
}

/** Force-removes one of Habitat's containers by id, whatever its state; nothing to do if it is gone. */
export function removeManaged(engine: DockerEngine, container: { id: string; name: string }): Promise<void> {
  return new ContainerAgent(engine, { id: container.id, pid: 0, name: container.name }).remove();
}

/**
 * On kernel boot: every container of this instance either belongs to a live process and still runs (kept, to be
 * re-attached) or is force-removed, so none leaks. Removals run in parallel; those that fail are listed in
 * `failed`, not thrown: one container the engine cannot remove must not keep the kernel from booting (the caller
 * reports them and tries again later).
 */
export async function reconcileContainers(
  engine: DockerEngine,
  options: ReconcileOptions,
): Promise<ReconcileResult> {
  const result: ReconcileResult = { reattached: [], removed: [], failed: [] };
  const doomed: ManagedContainer[] = [];
  for (const container of await listManaged(engine, options.instance)) {
    if (container.bootId === options.bootId) continue;
    const alive = container.state === 'running' || container.state === 'paused';
    const live =
      (container.pid !== undefined && options.isLive(container.pid)) ||
      (options.liveContainers?.has(container.id) ?? false);
    if (alive && live) {
      result.reattached.push(container.id);
    } else {
      doomed.push(container);
    }
  }
  const removals = await Promise.allSettled(doomed.map((container) => removeManaged(engine, container)));
  removals.forEach((removal, index) => {
    const { id, name } = doomed[index]!;
    if (removal.status === 'fulfilled') result.removed.push(id);
    else result.failed.push({ id, name, error: removal.reason });
  });
  return result;
}
