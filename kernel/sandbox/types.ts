/** Resource limits applied to everything an agent runs (rlimits on the host, cgroups in a container). */
export interface SandboxLimits {
  /** RLIMIT_CPU, seconds of CPU time per process. */
  cpuSeconds?: number;
  /** RLIMIT_NOFILE. */
  openFiles?: number;
  /** RLIMIT_NPROC (not enforced for root on the host; a container's pids limit is). */
  processes?: number;
  /** RLIMIT_AS, bytes of address space per process. */
  addressSpaceBytes?: number;
}

export interface SandboxSpec {
  /** Kernel PID of the agent. */
  pid: number;
  /** The agent's home folder on the host; it appears at /home/agent inside the sandbox. */
  home: string;
  network: boolean;
  limits?: SandboxLimits;
  /** Extra environment for the agent (on top of the scrubbed base); never host secrets. */
  env?: Record<string, string>;
}

/** How to start a program inside a sandbox: hand it to a PTY spawner or child_process. */
export interface LaunchPlan {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

export type Isolation = 'bubblewrap' | 'container' | 'none';

export interface SandboxBackend {
  readonly kind: 'host' | 'docker';
  readonly isolation: Isolation;
  /** A human-readable reason when isolation is weaker than it should be. */
  readonly warning: string | undefined;
  /** The agent's home as programs inside see it. */
  readonly homeInside: string;
  plan(spec: SandboxSpec, argv: string[]): LaunchPlan;
}
