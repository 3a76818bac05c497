// Snapshots of agents: capture (home, configuration, loop state, mailbox) into a content-addressed store,
// restore to a new PID, fork, roll an agent back in place, checkpoints after every step of its loop, delete, export
// and import as one tar file. Other kernel code imports only here.
export { Snapshots } from './Snapshots.js';
export { RollbackLedger } from './rollbackLedger.js';
export type {
  AgentRollback,
  AgentState,
  AgentStateProvider,
  MailboxPort,
  SnapshotProcesses,
  SnapshotsOptions,
} from './types.js';
export { ObjectStore } from './objects.js';
export { parseManifest, MANIFEST_FORMAT, type Manifest } from './manifest.js';
