// The store's public surface: the rest of the kernel imports only from here.
export { Store } from './Store.js';
export { LOST_EXIT_REASON } from './ProcessRecords.js';
export { MAX_READ } from './EventLog.js';
export { LATEST_VERSION as SCHEMA_VERSION } from './migrations.js';
export {
  PROCESS_PHASES,
  PROCESS_STATES,
  type CommitListener,
  type ConversationEntry,
  type EventRecord,
  type ProcessFilter,
  type ProcessPhase,
  type ProcessRecord,
  type ProcessState,
  type StoreErrorListener,
  type StoreOptions,
} from './types.js';
