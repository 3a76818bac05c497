import type { AgentPhase, GpuRequest, ProcessState } from '../../shared/protocol/index.js';
import type { AgentSandbox, SandboxMount, SandboxSpec, TerminalLaunch } from '../sandbox/index.js';
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
