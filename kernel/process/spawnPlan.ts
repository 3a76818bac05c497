import { HabitatError } from '../../shared/protocol/index.js';
import { DESKTOP_SANDBOX_IMAGE } from '../images/index.js';
import type { SandboxProvider, SandboxSpec } from '../sandbox/index.js';
import type {
  GpuLedger,
  MountResolver,
  ProcessRecord,
  ProcessTableOptions,
  SpawnRequest,
  WorkspaceBind,
} from './types.js';

export type SpawnPlannerOptions = Pick<
  ProcessTableOptions,
  'homesDir' | 'providers' | 'createHome' | 'gpus' | 'mounts' | 'addons'
> & {
  /** The next kernel PID (the store's). */
  allocatePid(): number;
};

/** A spawn request checked and given what it needs before its sandbox is created. */
export interface SpawnPlan {
  request: SpawnRequest;
  kind: 'host' | 'docker';
  provider: SandboxProvider;
  pid: number;
  home: string;
  binds: WorkspaceBind[];
  gpus: string[];
}

/**
 * Turns a spawn request into what the new agent gets: its sandbox provider, PID, GPUs, home with workspace mount
 * points, first record, and the SandboxSpec its sandbox is created from (with what the addons add).
 */
export class SpawnPlanner {
  constructor(private readonly options: SpawnPlannerOptions) {}

  /**
   * Checks the request, then gives the agent its PID, GPUs and home (with its workspaces' mount points). A refusal
   * leaves nothing behind; a home that cannot be made gives the GPUs back.
   */
  async prepare(request: SpawnRequest): Promise<SpawnPlan> {
    const kind = request.sandbox ?? 'host';
    const provider = this.options.providers[kind];
    if (!provider) {
      throw new HabitatError(
        'E_UNAVAILABLE',
        `${kind} sandboxes are not available: is the Docker daemon running?`,
      );
    }
    if (request.engine !== undefined && kind !== 'docker') {
      throw new HabitatError('E_INVALID', 'an engine is named only for docker sandboxes');
    }
    if (request.graphical && kind !== 'docker') {
      throw new HabitatError('E_INVALID', 'a graphical agent needs a docker sandbox (--sandbox docker)');
    }
    if (request.checkpoints && !request.goal?.trim()) {
      throw new HabitatError('E_INVALID', 'checkpoints are taken after the steps of a goal: give it --goal');
    }
    provider.check?.({ engine: request.engine });
    // workspaces and GPUs are settled before anything exists: a refusal leaves no PID, home or record behind
    const binds = request.workspaces?.length
      ? this.mountResolver().forSpawn({ ...request, workspaces: request.workspaces }, provider.isolation)
      : [];
    const gpus = request.gpus === undefined ? [] : this.gpuLedger().pick(request.gpus);
    const pid = this.options.allocatePid();
    if (gpus.length > 0) this.gpuLedger().allocate(pid, gpus); // same tick as pick: nobody took them since
    let home: string;
    try {
      home = await (request.createHome ?? this.options.createHome)(this.options.homesDir, pid);
      if (binds.length > 0) await this.mountResolver().attach(pid, home, binds);
    } catch (error) {
      this.options.gpus?.release(pid);
      throw error;
    }
    return { request, kind, provider, pid, home, binds, gpus };
  }

  /** The sandbox to create: the request's, with the workspace binds and what the addons add (mounts, environment). */
  async sandboxSpec(plan: SpawnPlan, config: Record<string, unknown>): Promise<SandboxSpec> {
    const { request, pid } = plan;
    const extras = await this.prepareAddons(pid, config);
    const mounts = [
      ...plan.binds.map(({ source, target, readOnly }) => ({ source, target, readOnly })),
      ...(extras.mounts ?? []),
    ];
    return {
      pid,
      home: plan.home,
      network: request.network,
      limits: request.limits,
      image: request.image ?? (request.graphical ? DESKTOP_SANDBOX_IMAGE : undefined),
      gpus: plan.gpus,
      ...(request.engine === undefined ? {} : { engine: request.engine }),
      ...(extras.env ? { env: extras.env } : {}),
      ...(mounts.length ? { mounts } : {}),
    };
  }

  /** What the addons add to a sandbox before it is created: mounts and environment, merged. */
  private async prepareAddons(pid: number, config: Record<string, unknown>): Promise<Partial<SandboxSpec>> {
    const extras: Pick<SandboxSpec, 'mounts' | 'env'> = {};
    for (const addon of this.options.addons ?? []) {
      const more = await addon.prepare(pid, config);
      if (more?.mounts) extras.mounts = [...(extras.mounts ?? []), ...more.mounts];
      if (more?.env) extras.env = { ...extras.env, ...more.env };
    }
    return extras;
  }

  private mountResolver(): MountResolver {
    if (!this.options.mounts) throw new HabitatError('E_UNAVAILABLE', 'this kernel has no shared workspaces');
    return this.options.mounts;
  }

  private gpuLedger(): GpuLedger {
    if (!this.options.gpus) throw new HabitatError('E_LIMIT', 'this kernel has no GPUs to give');
    return this.options.gpus;
  }
}

/** The record a planned agent starts with: created and booting, its spawn configuration kept for restarts. */
export function spawnRecord(plan: SpawnPlan, bootId: string): ProcessRecord {
  const { request, pid, kind } = plan;
  return {
    pid,
    ppid: request.parent ?? null,
    name: request.name ?? `agent-${pid}`,
    role: request.role ?? null,
    goal: request.goal ?? null,
    state: 'created',
    phase: 'booting',
    sandbox: {
      kind,
      isolation: plan.provider.isolation,
      osPid: null,
      containerId: null,
      network: request.network,
      engine: kind === 'docker' ? (request.engine ?? 'local') : null,
    },
    config: {
      network: request.network,
      limits: request.limits ?? {},
      home: plan.home,
      image: request.image ?? null,
      gpus: request.gpus ?? null,
      ...(request.agent ? { agent: request.agent } : {}),
      workspaces: plan.binds.map(({ name, mode }) => ({ name, mode })),
      ...(request.graphical ? { graphical: request.graphical } : {}),
      ...(request.checkpoints ? { checkpoints: request.checkpoints } : {}),
    },
    bootId,
    createdAt: new Date().toISOString(),
    endedAt: null,
    exitCode: null,
    exitReason: null,
    gpus: plan.gpus,
  };
}
