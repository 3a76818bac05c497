import type Dockerode from 'dockerode';
import { HabitatError } from '../../shared/protocol/index.js';
import { agentIdentityEnvironment, scrubbedEnvironment } from '../sandbox/index.js';
import { containerName, LABELS, managedLabels, spareName, type ContainerIdentity } from './labels.js';
import type { ContainerLimits } from './limits.js';

export const HOME_IN_CONTAINER = '/home/agent';

/** A folder shared into the container besides the home (shared workspaces, a VNC socket folder). */
export interface ContainerMount {
  source: string;
  target: string;
  readOnly?: boolean;
}

/** What the kernel asks for when it spawns a container agent. */
export interface ContainerSpec {
  /** Kernel PID of the agent. */
  pid: number;
  /** The kernel's boot id, recorded so a later boot can tell its own containers from a predecessor's. */
  bootId: string;
  /** The agent's home on the engine's host; bind-mounted read-write at /home/agent. */
  home: string;
  /** Without it the container has no network interface but loopback. */
  network: boolean;
  /** Default: the sandbox's default image (habitat/sandbox:base). */
  image?: string;
  limits?: ContainerLimits;
  /** Extra environment on top of the scrubbed base; never host secrets. */
  env?: Record<string, string>;
  /** A read-only root filesystem, with a private /tmp; the home stays writable. */
  readonlyRootfs?: boolean;
  mounts?: ContainerMount[];
  /** UUIDs of the agent's GPUs: requested from the engine's nvidia driver (the NVIDIA Container Toolkit). */
  gpus?: string[];
}

/** Everything decided before the container can be described: resolved, validated, owned. */
export interface ResolvedContainer {
  image: string;
  limits: Required<ContainerLimits>;
  user: { uid: number; gid: number };
  identity: ContainerIdentity;
  /**
   * The network (its id) a container granted network joins: Habitat's agents network on that engine
   * (agentNetwork.ts), never Docker's default bridge, on which every container reaches every other.
   */
  network?: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TMPFS_OPTIONS = 'rw,nosuid,nodev,size=268435456';

/**
 * Which GPUs the container's programs see, always set and set last (over the extra environment): an image's own
 * `ENV NVIDIA_VISIBLE_DEVICES=all` (every nvidia/cuda image has it) would otherwise survive, and on an engine whose
 * default runtime is nvidia that alone hands the container every GPU, whatever the kernel's allocation says.
 * `void` makes the NVIDIA runtime behave as runc; with GPUs, the device request and both variables name the same UUIDs.
 */
function containerGpuEnvironment(gpus: readonly string[]): Record<string, string> {
  return {
    NVIDIA_VISIBLE_DEVICES: gpus.length > 0 ? gpus.join(',') : 'void',
    CUDA_VISIBLE_DEVICES: gpus.join(','),
  };
}

function environment(spec: ContainerSpec): string[] {
  const env = {
    ...scrubbedEnvironment(
      { pid: spec.pid, home: spec.home, network: spec.network, ...(spec.env ? { env: spec.env } : {}) },
      HOME_IN_CONTAINER,
    ),
    ...containerGpuEnvironment(spec.gpus ?? []),
  };
  return Object.entries(env).map(([name, value]) => {
    if (!ENV_NAME.test(name) || value.includes('\0')) {
      throw new HabitatError('E_INVALID', `not a valid environment variable: ${name}`);
    }
    return `${name}=${value}`;
  });
}

function mounts(spec: ContainerSpec): Dockerode.MountConfig {
  const extra = (spec.mounts ?? []).map((mount) => {
    if (!mount.target.startsWith('/') || mount.target.split('/').includes('..')) {
      throw new HabitatError('E_INVALID', `a mount target must be an absolute path: ${mount.target}`);
    }
    return {
      Type: 'bind' as const,
      Source: mount.source,
      Target: mount.target,
      ReadOnly: mount.readOnly ?? false,
    };
  });
  return [{ Type: 'bind', Source: spec.home, Target: HOME_IN_CONTAINER, ReadOnly: false }, ...extra];
}

function networkOf(resolved: ResolvedContainer): string {
  if (!resolved.network) {
    throw new HabitatError(
      'E_INTERNAL',
      'a container granted network needs the agents network (ensureAgentNetwork)',
    );
  }
  return resolved.network;
}

/** Exactly these GPUs, by UUID (never a count: the kernel's allocation table decides which). */
function gpuRequests(uuids: string[]): Dockerode.DeviceRequest[] {
  return [{ Driver: 'nvidia', DeviceIDs: [...uuids], Capabilities: [['gpu']] }];
}

/**
 * The container for one agent, safe by default:
 * - no network (NetworkMode none) unless granted, then Habitat's agents network, where agents cannot reach each other;
 * - every capability dropped and none added back: the agent runs as an unprivileged user and needs none (binding
 *   ports under 1024, raw sockets for ping, chown of others' files are deliberately unavailable);
 * - no-new-privileges, so no setuid binary can regain root; never privileged; Docker's default seccomp profile;
 * - a non-root user (see homeOwner.ts); an init (docker-init) that reaps orphans as PID 1;
 * - cgroup limits on memory (swap equal: no swap), CPU and pids, and RLIMIT_NOFILE;
 * - only the home (and explicitly given folders, checked by mountSafety.ts) mounted: never the Docker socket;
 * - labels that say it is Habitat's, whose, of which boot and version.
 * The main process only keeps the container alive; the agent's shell and commands run as execs.
 */
export function containerCreateOptions(
  spec: ContainerSpec,
  resolved: ResolvedContainer,
): Dockerode.ContainerCreateOptions {
  const { limits, user, identity } = resolved;
  return {
    name: containerName(identity.instance, spec.pid),
    Image: resolved.image,
    Cmd: ['sleep', 'infinity'],
    User: `${user.uid}:${user.gid}`,
    WorkingDir: HOME_IN_CONTAINER,
    Hostname: `agent-${spec.pid}`,
    Env: environment(spec),
    Labels: managedLabels(identity, spec.pid, spec.bootId),
    HostConfig: {
      NetworkMode: spec.network ? networkOf(resolved) : 'none',
      CapDrop: ['ALL'],
      CapAdd: [],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      ReadonlyRootfs: spec.readonlyRootfs ?? false,
      ...(spec.readonlyRootfs ? { Tmpfs: { '/tmp': TMPFS_OPTIONS, '/var/tmp': TMPFS_OPTIONS } } : {}),
      Init: true,
      IpcMode: 'private',
      Mounts: mounts(spec),
      Memory: limits.memoryBytes,
      MemorySwap: limits.memoryBytes,
      NanoCpus: Math.round(limits.cpus * 1e9),
      PidsLimit: limits.pids,
      Ulimits: [{ Name: 'nofile', Soft: limits.openFiles, Hard: limits.openFiles }],
      ...(spec.gpus?.length ? { DeviceRequests: gpuRequests(spec.gpus) } : {}),
      // the kernel outlives its agents: under host memory pressure their processes go first
      OomScoreAdj: 500,
      RestartPolicy: { Name: 'no' },
      AutoRemove: false,
    },
  };
}

/**
 * A spare for the warm pool: the same locked-down container, made before its agent exists, so it names no one:
 * a pool name and label instead of a PID, no agent identity in its environment (every exec brings it), no network
 * (a container cannot be moved off `none` later), and the spare's own home folder, which becomes the agent's home
 * when it is claimed (the bind mount follows the folder when it is renamed).
 */
export function spareContainerOptions(
  spare: { slot: number; bootId: string; home: string },
  resolved: ResolvedContainer,
): Dockerode.ContainerCreateOptions {
  const options = containerCreateOptions(
    { pid: spare.slot, bootId: spare.bootId, home: spare.home, network: false },
    resolved,
  );
  const identity = new Set(Object.keys(agentIdentityEnvironment(spare.slot)));
  const labels: Record<string, string> = { ...options.Labels, [LABELS.pool]: '1' };
  delete labels[LABELS.pid];
  return {
    ...options,
    name: spareName(resolved.identity.instance, spare.bootId, spare.slot),
    Hostname: 'agent',
    Labels: labels,
    Env: (options.Env ?? []).filter((entry) => !identity.has(entry.slice(0, entry.indexOf('=')))),
  };
}
