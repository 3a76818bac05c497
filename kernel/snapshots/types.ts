import type { Message, ProcessInfo } from '../../shared/protocol/index.js';
import type { EventBus } from '../events/index.js';
import type { ProcessRecord, SpawnRequest } from '../process/index.js';
import type { RollbackLedger } from './rollbackLedger.js';

/** The agent runtime's part of a snapshot: its loop state and conversation, captured at a step boundary. */
export interface AgentState {
  loop?: unknown;
  conversation?: unknown[];
}

/** Filled in by whoever runs agent loops (the runtime): the kernel knows no loop internals. */
export interface AgentStateProvider {
  /** The agent's loop state and conversation; undefined when it runs no loop. */
  capture(pid: number): Promise<AgentState | undefined> | AgentState | undefined;
  /**
   * Gives a restored agent (its new PID) the state captured of the original, once the agent exists with its home
   * and mailbox: a run that was under way goes on from there (the runtime's choice, from its part of `state`).
   */
  restore(pid: number, state: AgentState, origin: { snapshot: string }): Promise<void> | void;
  /**
   * Readies taking the same agent back to a state captured of it (a rollback), while it is held at a step boundary
   * and before anything changed; a throw refuses the rollback. See AgentRollback for what happens next.
   */
  rollback?(pid: number, state: AgentState): Promise<AgentRollback> | AgentRollback;
}

/** A rollback the runtime has readied (AgentStateProvider.rollback). */
export interface AgentRollback {
  /**
   * The runtime's state goes back (its conversation becomes the snapshot's): synchronous writes to the kernel's
   * database only, run inside the rollback's one transaction with the mailbox's rewind, after the home was
   * replaced. A throw undoes the whole rollback.
   */
  write(): void;
  /** Once the rollback stands: its loop goes on from there when the agent is let go (the old one ends unseen). */
  resume(): void;
}

/** The mailbox as snapshots use it (kernel/ipc). */
export interface MailboxPort {
  export(pid: number): Message[];
  import(pid: number, messages: Message[]): void;
  /** The same mailbox back to an export of it: read then is read, unread then is unread, later mail kept. */
  rewind?(pid: number, messages: Message[]): void;
}

/** The process table as snapshots use it. */
export interface SnapshotProcesses {
  record(pid: number): ProcessRecord;
  home(pid: number): string;
  freeze(
    pid: number,
    waitMs: number,
    options?: { sandbox?: boolean },
  ): Promise<{ quiesced: boolean; resume(): Promise<void> }>;
  spawn(request: SpawnRequest): Promise<ProcessInfo>;
  /** Changes part of a live agent's stored configuration (its checkpoint setting). */
  configure(pid: number, patch: Record<string, unknown>): ProcessRecord;
  /** An entry in the agent's log (a checkpoint that failed). */
  log?(pid: number, type: string, payload: unknown): unknown;
}

export interface SnapshotsOptions {
  /** The data folder's snapshots/. */
  root: string;
  /** The homes folder: restores are staged in it, so the finished home is moved into place by a rename. */
  homesDir: string;
  processes: SnapshotProcesses;
  /** snapshot.progress, snapshot.created, snapshot.deleted. */
  events?: EventBus;
  mailbox?: MailboxPort;
  /** Where rollbacks commit (the kernel's database): see RollbackLedger. */
  ledger: RollbackLedger;
}
