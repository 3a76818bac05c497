import { isAbsolute, posix, relative, sep } from 'node:path';
import { HabitatError } from '../../shared/protocol/index.js';
import { DEFAULT_SANDBOX_IMAGE, requireImage } from '../images/index.js';
import type { SandboxBackend } from '../sandbox/index.js';
import { ensureAgentNetwork, removeUnusedAgentNetworks } from './agentNetwork.js';
import { ContainerAgent } from './ContainerAgent.js';
import { containerCreateOptions, spareContainerOptions, type ContainerSpec } from './containerConfig.js';
import type { DockerEngine } from './DockerEngine.js';
import { engineStatus } from './errors.js';
import { prepareHomeOwner } from './homeOwner.js';
import { assertInstance, containerName, LABELS, labelledPid, type ContainerIdentity } from './labels.js';
import { DEFAULT_CONTAINER_LIMITS, resolveLimits, type ContainerLimits } from './limits.js';
import { assertMountSourcesSafe } from './mountSafety.js';
import {
  listManaged,
  reconcileContainers,
  type ManagedContainer,
  type ReconcileOptions,
  type ReconcileResult,
} from './reconcile.js';

export interface DockerSandboxOptions extends ContainerIdentity {
  /** Image of agents whose spec names none (default habitat/sandbox:base). */
  image?: string;
  /** Limits of agents whose spec leaves them out (default 512 MiB, 1 CPU, 256 pids, 4096 files). */
  defaultLimits?: ContainerLimits;
  /**
   * For an engine on another machine: where the kernel's homes folder (`local`) appears on that machine
   * (`engine`), a shared or network mount. Bind mounts name paths on the engine's host.
   */
  homesOnEngine?: { local: string; engine: string };
  /**
   * The engine runs on another machine: every engine but the kernel's own local one (homesOnEngine implies it). It
   * sees none of the kernel's folders but the homes folder, and none of the GPUs the kernel found with its nvidia-smi,
   * so agents with extra mounts (shared workspaces, a graphical agent's display) or GPUs are refused there.
   */
  remote?: boolean;
}

/**
 * The Docker sandbox backend: one container per agent, on one engine. It plays HostSandbox's role for container
 * agents, but a container is a thing with a lifecycle, not a way to launch a program, so instead of plan() it
 * creates ContainerAgents that the process table drives.
 */
export class DockerSandbox implements Omit<SandboxBackend, 'plan'> {
  readonly kind = 'docker' as const;
  readonly isolation = 'container' as const;
  readonly warning = undefined;
  private readonly identity: ContainerIdentity;
  private readonly image: string;
  private readonly defaultLimits: Required<ContainerLimits>;
  private readonly homesOnEngine: { local: string; engine: string } | undefined;
  private readonly remote: boolean;

  constructor(
    readonly engine: DockerEngine,
    options: DockerSandboxOptions,
  ) {
    assertInstance(options.instance);
    this.identity = { instance: options.instance, version: options.version };
    this.image = options.image ?? DEFAULT_SANDBOX_IMAGE;
    this.defaultLimits = resolveLimits(options.defaultLimits, DEFAULT_CONTAINER_LIMITS);
    this.homesOnEngine = options.homesOnEngine;
    this.remote = options.remote === true || options.homesOnEngine !== undefined;
  }

  /** The engine host's path of a home the kernel made (the same path unless the engine is elsewhere). */
  engineHome(home: string): string {
    const map = this.homesOnEngine;
    if (!map) return home;
    const rel = relative(map.local, home);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      throw new HabitatError('E_INVALID', `${home} is not inside the homes folder ${map.local}`);
    }
    return posix.join(map.engine, ...rel.split(sep));
  }

  /**
   * Refuses (E_INVALID, saying why) what an engine on another machine cannot give: a bind mount besides the home
   * names a folder of the kernel's machine (shared workspaces live in the data folder's shared/, a display's socket
   * folder in run/vnc/, and the kernel talks to that socket itself), and the GPUs the kernel allocates are the ones its
   * own nvidia-smi listed, whose UUIDs the other machine does not have. Until engines have a GPU inventory of their own,
   * both run on the local engine only. Cheap and engine-free: callers may run it before anything is allocated.
   */
  assertCanRun(spec: Pick<ContainerSpec, 'gpus' | 'mounts'>): void {
    if (!this.remote) return;
    const where = `the Docker engine ${this.engine.name} is on another machine`;
    if ((spec.gpus ?? []).length > 0) {
      throw new HabitatError(
        'E_INVALID',
        `${where}, whose GPUs this kernel does not know (it allocates only its own machine's): run agents with GPUs on the local engine`,
      );
    }
    const mount = spec.mounts?.[0];
    if (mount) {
      throw new HabitatError(
        'E_INVALID',
        `${where}, which sees only the homes folder of this kernel, not ${mount.source}: shared workspaces and graphical agents run on the local engine`,
        { source: mount.source, target: mount.target },
      );
    }
  }

  /**
   * Creates (not starts) the agent's container. Checks everything it can before touching the engine: E_INVALID for
   * bad limits or paths and for what an engine elsewhere cannot give (assertCanRun), E_DENIED for a mount that would
   * expose the Docker socket, E_NOT_FOUND (saying how to build it) for a missing image, E_CONFLICT if the agent has
   * a container already, E_UNAVAILABLE if the engine is down.
   */
  async create(spec: ContainerSpec): Promise<ContainerAgent> {
    if (!Number.isSafeInteger(spec.pid) || spec.pid <= 0) {
      throw new HabitatError('E_INVALID', 'a PID is a positive integer');
    }
    if (!spec.bootId) throw new HabitatError('E_INVALID', 'a container needs the boot id');
    this.assertCanRun(spec);
    const limits = resolveLimits(spec.limits, this.defaultLimits);
    const image = spec.image ?? this.image;
    assertMountSourcesSafe(
      [spec.home, ...(spec.mounts ?? []).map((mount) => mount.source)],
      this.knownSockets(),
    );
    await this.engine.call('look up the image', () => requireImage(this.engine.docker, image));
    const network = spec.network ? await ensureAgentNetwork(this.engine, this.identity) : undefined;
    const user = await prepareHomeOwner(spec.home);
    const options = containerCreateOptions(
      { ...spec, home: this.engineHome(spec.home) },
      { image, limits, user, identity: this.identity, ...(network ? { network } : {}) },
    );
    try {
      const container = await this.engine.call('create the container', (abortSignal) =>
        this.engine.docker.createContainer({ ...options, abortSignal }),
      );
      return new ContainerAgent(this.engine, { id: container.id, pid: spec.pid, name: options.name! });
    } catch (error) {
      if (engineStatus(error) === 409) {
        throw new HabitatError('E_CONFLICT', `agent ${spec.pid} has a container already`, { pid: spec.pid });
      }
      throw error;
    }
  }

  /**
   * A warm-pool spare: created and started before any agent exists, with its own home folder (see
   * spareContainerOptions). It becomes an agent's container through claimSpare.
   */
  async createSpare(spare: {
    slot: number;
    bootId: string;
    home: string;
    image?: string;
  }): Promise<ContainerAgent> {
    const image = spare.image ?? this.image;
    assertMountSourcesSafe([spare.home], this.knownSockets());
    await this.engine.call('look up the image', () => requireImage(this.engine.docker, image));
    const user = await prepareHomeOwner(spare.home);
    const options = spareContainerOptions(
      { ...spare, home: this.engineHome(spare.home) },
      {
        image,
        limits: this.defaultLimits,
        user,
        identity: this.identity,
      },
    );
    const container = await this.engine.call('create a spare container', (abortSignal) =>
      this.engine.docker.createContainer({ ...options, abortSignal }),
    );
    const agent = new ContainerAgent(this.engine, { id: container.id, pid: 0, name: options.name! });
    try {
      await agent.start();
    } catch (error) {
      await agent.remove().catch(() => undefined);
      throw error;
    }
    return agent;
  }

  /** Whether a spare (default files limit; no network, GPUs or extra mounts) can serve this spec. */
  canUseSpare(spec: ContainerSpec): boolean {
    return (
      !spec.network &&
      !spec.readonlyRootfs &&
      (spec.gpus ?? []).length === 0 &&
      (spec.mounts ?? []).length === 0 &&
      (spec.limits?.openFiles ?? this.defaultLimits.openFiles) === this.defaultLimits.openFiles
    );
  }

  /**
   * Makes a spare the agent's container: renamed to the agent's name (E_CONFLICT if it has one), given the agent's
   * limits where they differ from the defaults (cgroup limits can change on a running container). The caller moves
   * the spare's home into place.
   */
  async claimSpare(spare: ContainerAgent, spec: ContainerSpec): Promise<ContainerAgent> {
    const limits = resolveLimits(spec.limits, this.defaultLimits);
    const name = containerName(this.identity.instance, spec.pid);
    const container = this.engine.docker.getContainer(spare.id);
    try {
      await this.engine.call('rename the spare container', (abortSignal) =>
        container.rename({ name, abortSignal }),
      );
    } catch (error) {
      if (engineStatus(error) === 409) {
        throw new HabitatError('E_CONFLICT', `agent ${spec.pid} has a container already`, { pid: spec.pid });
      }
      throw error;
    }
    const defaults = this.defaultLimits;
    if (
      limits.memoryBytes !== defaults.memoryBytes ||
      limits.cpus !== defaults.cpus ||
      limits.pids !== defaults.pids
    ) {
      await this.engine.call('apply the agent limits', (abortSignal) =>
        container.update({
          Memory: limits.memoryBytes,
          MemorySwap: limits.memoryBytes,
          NanoCpus: Math.round(limits.cpus * 1e9),
          PidsLimit: limits.pids,
          abortSignal,
        }),
      );
    }
    return new ContainerAgent(this.engine, { id: spare.id, pid: spec.pid, name });
  }

  /**
   * The agent of a container this instance created (after reconcileContainers said to re-attach it). A claimed spare
   * names no PID in its labels: the caller, who found it in the store, gives it.
   */
  async attach(id: string, knownPid?: number): Promise<ContainerAgent> {
    const info = await this.engine.call('inspect the container', (abortSignal) =>
      this.engine.docker.getContainer(id).inspect({ abortSignal }),
    );
    const labels = info.Config.Labels ?? {};
    const pid = labelledPid(labels) ?? (labels[LABELS.pool] === '1' ? knownPid : undefined);
    if (labels[LABELS.managed] !== '1' || labels[LABELS.instance] !== this.identity.instance || !pid) {
      throw new HabitatError('E_NOT_FOUND', `container ${id} is not one of this kernel's agents`);
    }
    return new ContainerAgent(this.engine, {
      id: info.Id,
      pid,
      name: containerName(this.identity.instance, pid),
      paused: info.State.Paused,
    });
  }

  /** See reconcileContainers: this instance's containers of live processes are kept, the rest removed. */
  reconcile(options: Omit<ReconcileOptions, 'instance'>): Promise<ReconcileResult> {
    return reconcileContainers(this.engine, { ...options, instance: this.identity.instance });
  }

  /** This instance's containers, in every state (count them to prove none leaked). */
  listManaged(): Promise<ManagedContainer[]> {
    return listManaged(this.engine, this.identity.instance);
  }

  /**
   * Removes this instance's agent networks that no container uses any more (see removeUnusedAgentNetworks): for
   * when the kernel closes its engines and after boot reconciliation. Returns the names removed.
   */
  removeUnusedNetworks(): Promise<string[]> {
    return removeUnusedAgentNetworks(this.engine, this.identity.instance);
  }

  private knownSockets(): string[] {
    const name = this.engine.name;
    return name.startsWith('unix://') ? [name.slice('unix://'.length)] : [];
  }
}
