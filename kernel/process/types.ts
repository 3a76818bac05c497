import type { AgentPhase, GpuRequest, ProcessState, ScreenSize } from '../../shared/protocol/index.js';
import type { EventBus } from '../events/index.js';
import type {
  AgentSandbox,
  SandboxLimits,
  SandboxMount,
  SandboxProvider,
  SandboxSpec,
  TerminalLaunch,
} from '../sandbox/index.js';
import type { ProcessRecord } from '../store/index.js';

export type { ProcessRecord };

/** The part of the store the process table needs (constructor injection keeps it testable). */
export interface ProcessStore {
  allocatePid(): number;
  putProcess(record: ProcessRecord): void;
  getProcess(pid: number): ProcessRecord | undefined;
  listProcesses(filter?: { states?: ProcessState[]; phases?: AgentPhase[]; ppid?: number }): ProcessRecord[];
  reconcile(bootId: string): ProcessRecord[];
  appendEvent(pid: number | null, type: string, payload: unknown): number;
}

/** The agent's main program (its shell) as the process table sees it: a PTY in a sandbox. */
export interface AgentShell {
  /** The shell's host PID; null where it has none (an exec in a container). */
  readonly osPid: number | null;
  readonly terminalId: number;
  onExit(listener: (exit: { exitCode: number | null; signal: number | null }) => void): void;
  dispose(): Promise<void> | void;
}

export type ShellLauncher = (launch: TerminalLaunch, pid: number) => AgentShell;

/** The GPU allocation table as the process table uses it (kernel/gpu's GpuAllocator). */
export interface GpuLedger {
  /** The UUIDs a request would get, taking nothing; throws E_LIMIT, E_NOT_FOUND or E_INVALID. */
  pick(request: GpuRequest): string[];
  allocate(pid: number, request: GpuRequest): string[];
  release(pid: number): string[];
}

/** A shared workspace bound into an agent at ~/shared/<name>. */
export interface WorkspaceBind extends SandboxMount {
  name: string;
  mode: 'ro' | 'rw';
}

/** Turns a spawn's workspace requests into bind mounts, deciding who may mount what (kernel/workspaces). */
export interface MountResolver {
  /** Before anything exists: refuses (E_NOT_FOUND, E_DENIED, E_UNAVAILABLE) or returns the binds. */
  forSpawn(
    request: { workspaces: { name: string; mode: 'ro' | 'rw' }[]; parent?: number },
    isolation: 'bubblewrap' | 'container' | 'none',
  ): WorkspaceBind[];
  /** Once the agent has a PID and a home, before its sandbox starts: makes the mount points, records the mounts. */
  attach(pid: number, home: string, binds: WorkspaceBind[]): Promise<void>;
}

/**
 * A part of an agent beyond its sandbox and shell (a graphical agent's display): it adds to the sandbox before it is
 * created, joins it once it runs (at spawn, and when a later kernel re-attaches it) and is released when the agent
 * ends. `config` is the spawn's configuration as the record keeps it.
 */
export interface ProcessAddon {
  prepare(
    pid: number,
    config: Record<string, unknown>,
  ): Promise<Pick<SandboxSpec, 'mounts' | 'env'> | undefined>;
  attach(pid: number, sandbox: AgentSandbox, config: Record<string, unknown>, home: string): void;
  release(pid: number): Promise<void> | void;
}

export interface SpawnRequest {
  name?: string;
  role?: string;
  goal?: string;
  parent?: number;
  sandbox?: 'host' | 'docker';
  image?: string;
  network: boolean;
  limits?: SandboxLimits;
  /** A count or device ids; exclusive while the agent lives. */
  gpus?: GpuRequest;
  /** The Docker engine, by name (docker sandboxes; default the local one). */
  engine?: string;
  /**
   * How the runtime runs the agent's goal (provider, model, approval policy, budgets): opaque to the kernel, kept in
   * the record's config so the runtime can resume the run after a restart. Never secrets.
   */
  agent?: Record<string, unknown>;
  /** Shared workspaces bound at ~/shared/<name> (see MountResolver). */
  workspaces?: { name: string; mode: 'ro' | 'rw' }[];
  /** Makes the home instead of a fresh one from the skeleton (a restore moves a verified copy into place). */
  createHome?(homesDir: string, pid: number): Promise<string>;
  /** A graphical desktop (docker only): true for the default screen, or its size; the image defaults to the desktop. */
  graphical?: boolean | ScreenSize;
  /** Automatic checkpoints after every step of the agent's loop (kernel/snapshots), the last `keep` kept. */
  checkpoints?: { keep: number };
}

export interface ProcessTableOptions {
  store: ProcessStore;
  events: EventBus;
  bootId: string;
  homesDir: string;
  /** The kinds of sandbox this kernel can create; docker only where a daemon answers. */
  providers: Partial<Record<'host' | 'docker', SandboxProvider>>;
  createHome(homesDir: string, pid: number): Promise<string>;
  launchShell: ShellLauncher;
  /** The GPU allocation table; without it, a spawn that asks for GPUs is refused. */
  gpus?: GpuLedger;
  /** Shared workspaces; without it, a spawn that asks for one is refused. */
  mounts?: MountResolver;
  /** How long TERM waits before it escalates to KILL. */
  termGraceMs?: number;
  shellArgv?: string[];
  /** Parts of agents beyond sandbox and shell (displays), told of every agent's life. */
  addons?: ProcessAddon[];
  /**
   * Host PIDs of an agent's terminals besides its shell (pty.open, the runtime's commands): a host sandbox tracks
   * only its shell and execs, so signals reach these through here (see AgentSandbox.signal). A container's signals
   * reach them already.
   */
  otherTerminals?(pid: number): number[];
  /** Waits between tries to take down an ended agent's sandbox (see Teardowns; default about 2 minutes in all). */
  teardownRetryDelaysMs?: readonly number[];
}
