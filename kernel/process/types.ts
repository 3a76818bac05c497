import type { AgentPhase, ProcessState, Signal } from '../../shared/protocol/index.js';
import type { Isolation, LaunchPlan } from '../sandbox/index.js';

/** What the process table persists; the store keeps it in SQLite. */
export interface ProcessRecord {
  pid: number;
  ppid: number | null;
  name: string;
  role: string | null;
  goal: string | null;
  state: ProcessState;
  phase: AgentPhase;
  sandbox: {
    kind: 'host' | 'docker';
    isolation: Isolation;
    osPid: number | null;
    containerId: string | null;
    network: boolean;
  };
  config: Record<string, unknown>;
  bootId: string;
  createdAt: string;
  endedAt: string | null;
  exitCode: number | null;
  exitReason: string | null;
}

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
  readonly osPid: number;
  readonly terminalId: number;
  onExit(listener: (exit: { exitCode: number | null; signal: number | null }) => void): void;
  dispose(): Promise<void> | void;
}

export type ShellLauncher = (plan: LaunchPlan, pid: number) => AgentShell;

export type LoopSignal = Extract<Signal, 'STOP' | 'CONT' | 'TERM' | 'KILL'>;
