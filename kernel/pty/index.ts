// Real terminals for agents: one program per pseudo-terminal, batched output with credit-based flow control,
// a headless screen for previews and late attachers. Other kernel code imports only from here.
export {
  DEFAULT_BATCH_MAX_BYTES,
  TerminalSession,
  type AttachOptions,
  type ScreenSnapshot,
  type TerminalConsumer,
  type TerminalExit,
  type TerminalSessionOptions,
} from './TerminalSession.js';
export { nodePtySpawner } from './nodePtySpawner.js';
export type { PtyDisposable, PtyProcess, PtySpawner, PtySpawnOptions } from './PtySpawner.js';
export { TerminalRegistry, signalNumber, type LaunchSpec, type TerminalEntry } from './TerminalRegistry.js';
