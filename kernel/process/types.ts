import type { AgentPhase, GpuRequest, ProcessState } from '../../shared/protocol/index.js';
import type { AgentSandbox, SandboxSpec, TerminalLaunch } from '../sandbox/index.js';
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
