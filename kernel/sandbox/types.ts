import type { Signal } from '../../shared/protocol/index.js';
import type { PtySpawner } from '../pty/index.js';

/** Resource limits applied to everything an agent runs (rlimits on the host, cgroups in a container). */
export interface SandboxLimits {
  /** RLIMIT_CPU, seconds of CPU time per process (host). */
  cpuSeconds?: number;
  /** RLIMIT_NOFILE (host). */
  openFiles?: number;
  /** RLIMIT_NPROC on the host (not enforced for root); the pids cgroup in a container. */
  processes?: number;
  /** RLIMIT_AS, bytes of address space per process (host). */
  addressSpaceBytes?: number;
  /** Memory cgroup limit, bytes (container). */
  memoryBytes?: number;
  /** CPU quota in CPUs (container). */
  cpus?: number;
}

/** A host folder bound into a sandbox besides the home (a shared workspace): never a symlink. */
export interface SandboxMount {
  source: string;
  /** Absolute path inside the sandbox (under /home/agent). */
  target: string;
  readOnly: boolean;
}

export interface SandboxSpec {
  /** Kernel PID of the agent. */
  pid: number;
  /** The agent's home folder on the host; it appears at /home/agent inside the sandbox. */
  home: string;
  network: boolean;
  limits?: SandboxLimits;
  /** Container image (docker sandboxes). */
  image?: string;
  /** Extra environment for the agent (on top of the scrubbed base); never host secrets. */
  env?: Record<string, string>;
  /** UUIDs of the agent's GPUs. Given (even empty), CUDA sees only these: an agent never uses another's GPU. */
  gpus?: string[];
  /** Host device nodes bound into a bubblewrap sandbox (its GPUs' /dev/nvidia*); the host provider fills it in. */
  devices?: string[];
  /** The Docker engine to run on, by name (docker sandboxes; default the local one). */
  engine?: string;
  /** Bind mounts besides the home (shared workspaces, a display's socket folder). */
  mounts?: SandboxMount[];
}

/** How to start a program inside a sandbox: hand it to a PTY spawner or child_process. */
export interface LaunchPlan {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

/** A program on a terminal inside a sandbox; a container supplies its own spawner (an exec with a TTY). */
export interface TerminalLaunch extends LaunchPlan {
  spawner?: PtySpawner;
}

export interface SandboxExecOptions {
  timeoutMs: number;
  /** Bytes kept of stdout and of stderr each; the rest is counted but dropped. */
  maxOutputBytes: number;
  /** Written to the command's standard input (a string as UTF-8), which is then closed. */
  input?: string | Uint8Array;
  /**
   * How stdout and stderr are returned: 'utf8' (default) decodes them, replacing invalid bytes; 'base64' keeps every
   * byte.
   */
  encoding?: 'utf8' | 'base64';
  /**
   * What the timeout counts, in milliseconds: the agent's running time (LoopControl.runningMs), which stands still
   * while it is stopped, so that a STOP does not use a command's time up; default wall-clock time.
   */
  clock?: () => number;
}

export interface SandboxExecResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  timedOut: boolean;
  durationMs: number;
}

export type Isolation = 'bubblewrap' | 'container' | 'none';

/** One agent's sandbox, whatever backs it: what the process table asks of it. */
export interface AgentSandbox {
  readonly kind: 'host' | 'docker';
  readonly isolation: Isolation;
  readonly containerId: string | null;
  terminal(argv: string[]): TerminalLaunch;
  exec(argv: string[], options: SandboxExecOptions): Promise<SandboxExecResult>;
  /**
   * Delivers a signal to every real process of the sandbox; `terminals` are the OS processes of the agent's terminals
   * on the host, the main shell first (a container's are inside it). A signal a program may catch passes over the
   * sandbox's launchers (bubblewrap) unless `endSandbox`: then it reaches them too, and ends the sandbox as it would a
   * terminal's program (TERM to an agent with no loop to let finish its step).
   */
  signal(signal: Signal, terminals: readonly number[], options?: { endSandbox?: boolean }): Promise<void>;
  /** Ends whatever still runs and releases the sandbox (a container is removed). */
  destroy(): Promise<void>;
  /** Adds a bind mount for the terminals and execs started from now on; absent where mounts are fixed (containers). */
  addMount?(mount: SandboxMount): void;
  /**
   * Starts a long-running program with its output streamed, not waited for (a display's X server): container
   * sandboxes have it. It ends when it exits, or with the sandbox.
   */
  spawn?(argv: string[], env: Record<string, string>): SandboxProgram;
}

/** A program spawn() started: its output as it comes, and its end. */
export interface SandboxProgram {
  readonly stdout: NodeJS.ReadableStream;
  readonly stderr: NodeJS.ReadableStream;
  /** Its exit code (128+n after signal n) once it has ended; null when that can no longer be learnt. */
  readonly exited: Promise<number | null>;
  /** Rejects if it could not be started at all; exited then resolves with null. */
  readonly ready: Promise<void>;
  /** Cuts the connection to it (its output stops, exited settles); the program itself is not signalled. */
  close(): void;
}

/** A kind of sandbox (host, docker): creates one per agent. */
export interface SandboxProvider {
  readonly kind: 'host' | 'docker';
  readonly isolation: Isolation;
  /** A human-readable reason when isolation is weaker than it should be. */
  readonly warning: string | undefined;
  create(spec: SandboxSpec): Promise<AgentSandbox>;
  /** Refuses a spec it can never serve (an unknown engine) before the spawn allocates anything. */
  check?(spec: Pick<SandboxSpec, 'engine'>): void;
}

/** Host backends describe how to launch a program; HostProvider turns that into AgentSandboxes. */
export interface SandboxBackend {
  readonly kind: 'host' | 'docker';
  readonly isolation: Isolation;
  readonly warning: string | undefined;
  plan(spec: SandboxSpec, argv: string[]): LaunchPlan;
}
