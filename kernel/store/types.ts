import {
  AgentPhaseSchema,
  ProcessStateSchema,
  type AgentPhase,
  type ProcessState as ProtocolProcessState,
} from '../../shared/protocol/index.js';

// The protocol's schemas are the single source of the states and phases a stored process may have.
export const PROCESS_STATES = ProcessStateSchema.options;
export const PROCESS_PHASES = AgentPhaseSchema.options;

export type ProcessState = ProtocolProcessState;
export type ProcessPhase = AgentPhase;

export interface ProcessRecord {
  pid: number;
  ppid: number | null;
  name: string;
  role: string | null;
  goal: string | null;
  state: ProcessState;
  phase: ProcessPhase;
  sandbox: {
    kind: 'host' | 'docker';
    isolation: 'bubblewrap' | 'container' | 'none';
    osPid: number | null;
    containerId: string | null;
    network: boolean;
    /** The Docker engine a container agent runs on (absent in records from before engines had names: local). */
    engine?: string | null;
  };
  config: Record<string, unknown>; // spawn configuration, JSON
  bootId: string; // which kernel instance ran it (for reconciliation)
  createdAt: string;
  endedAt: string | null;
  exitCode: number | null;
  exitReason: string | null;
  /** UUIDs of the GPUs the agent was given (held while it lives). */
  gpus: string[];
}

/** Every field narrows the list; an absent field does not filter. `ppid: null` selects processes without a parent. */
export interface ProcessFilter {
  states?: readonly ProcessState[];
  phases?: readonly ProcessPhase[];
  ppid?: number | null;
}

/** One row of the event log. `pid` is null for events that belong to no process (the kernel's own). */
export interface EventRecord {
  seq: number;
  pid: number | null;
  type: string;
  /** Milliseconds since the epoch, taken when the event was appended. */
  at: number;
  payload: unknown;
}

/** One message of an agent's conversation: its place (0, 1, 2...), when it was stored, and the message as JSON. */
export interface ConversationEntry {
  seq: number;
  /** Milliseconds since the epoch. */
  at: number;
  message: unknown;
}

export type CommitListener = (lastSeq: number) => void;
export type StoreErrorListener = (error: unknown) => void;

export interface StoreOptions {
  /** How long an appended event may wait in memory before its batch is committed. Default 10 ms. */
  flushIntervalMs?: number;
  /** Queued events that trigger a commit at once, without waiting for the interval. Default 1,000. */
  maxBatch?: number;
  /**
   * Queued events beyond which appendEvent refuses with E_LIMIT. Only reached while commits fail (a full disk):
   * it bounds memory instead of growing without end. Default 100,000.
   */
  maxQueued?: number;
  /**
   * 'normal' (default): a commit is durable once it returns if the process crashes or is killed, and the last few
   * commits may be lost if the machine loses power. 'full': each commit is also fsynced (power-loss safe, slower).
   * allocatePid is always fsynced.
   */
  synchronous?: 'normal' | 'full';
  /** How long open waits for another process that holds the database. Default 5,000 ms. */
  busyTimeoutMs?: number;
  /** The clock for event times and reconcile's endedAt, in ms since the epoch (tests inject one). */
  now?: () => number;
}
