// An agent's spawn configuration on its way into a snapshot (processConfig) and back out as a new agent.
import { HabitatError, type ProcessInfo } from '../../shared/protocol/index.js';
import type { ProcessRecord, SpawnRequest } from '../process/index.js';
import type { Manifest } from './manifest.js';
import type { SnapshotProcesses } from './types.js';

type Workspace = { name: string; mode: 'ro' | 'rw' };

/** What a restore needs to spawn the agent again, from its stored spawn configuration. */
export function processConfig(record: ProcessRecord): Manifest['process'] {
  const config = record.config as {
    image?: string | null;
    network?: boolean;
    limits?: Record<string, number>;
    gpus?: number | string[] | null;
    workspaces?: Workspace[];
  };
  const limits = Object.fromEntries(
    Object.entries(config.limits ?? {}).filter(([, value]) => typeof value === 'number'),
  );
  return {
    sandbox: record.sandbox.kind,
    image: config.image ?? null,
    engine: record.sandbox.kind === 'docker' ? (record.sandbox.engine ?? 'local') : null,
    network: config.network ?? record.sandbox.network,
    limits,
    gpus: config.gpus ?? null,
    workspaces: config.workspaces ?? [],
  };
}

export function hasWorkspaces(config: Record<string, unknown>): boolean {
  return Array.isArray(config.workspaces) && config.workspaces.length > 0;
}

/** The spawn of an agent restored from `manifest`, its workspaces apart (see spawnWithWorkspaces). */
export function restoreRequest(
  manifest: Manifest,
  name: string,
  createHome: NonNullable<SpawnRequest['createHome']>,
): SpawnRequest {
  return {
    name,
    ...(manifest.source.role === null ? {} : { role: manifest.source.role }),
    ...(manifest.source.goal === null ? {} : { goal: manifest.source.goal }),
    sandbox: manifest.process.sandbox,
    ...(manifest.process.image === null ? {} : { image: manifest.process.image }),
    ...(manifest.process.engine === null ? {} : { engine: manifest.process.engine }),
    network: manifest.process.network,
    limits: manifest.process.limits,
    ...(manifest.process.gpus === null ? {} : { gpus: manifest.process.gpus }),
    createHome,
  };
}

/** A restored agent that may not mount the workspaces of the original is spawned without them, with a warning. */
export async function spawnWithWorkspaces(
  processes: Pick<SnapshotProcesses, 'spawn'>,
  request: SpawnRequest,
  workspaces: Workspace[],
  warnings: string[],
): Promise<ProcessInfo> {
  let left = workspaces;
  for (;;) {
    try {
      return await processes.spawn(left.length ? { ...request, workspaces: left } : request);
    } catch (error) {
      // refused before anything exists (no PID, the home still staged): try again without that workspace
      const refused = ((error as HabitatError).details as { workspace?: string } | undefined)?.workspace;
      if (!(error instanceof HabitatError) || !refused || !left.some((w) => w.name === refused)) throw error;
      warnings.push(`workspace ${refused} not mounted: ${error.message}`);
      left = left.filter((w) => w.name !== refused);
    }
  }
}
