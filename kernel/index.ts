// The kernel's public surface: runtime/ and main/ import only from here.
export { Kernel, type KernelOptions } from './Kernel.js';
export { EventBus, type Disposable, type EventListener } from './events/index.js';
export { defaultDataDir, dataDirLayout, ensureDataDir, type DataDirLayout } from './datadir/index.js';
export { LoopControl, type SpawnRequest } from './process/index.js';
export type { SandboxExecResult as ExecResult } from './sandbox/index.js';
export { HostSandbox, detectBubblewrap } from './sandbox/index.js';
export { groupMembers, isGroupAlive, processTree, type OsProcess } from './os/index.js';
export { signalNumber, type TerminalConsumer, type TerminalEntry } from './pty/index.js';
export { Store, type ConversationEntry } from './store/index.js';
export * from './images/index.js';
export { LOCAL_ENGINE, parseEngineSpec, type EngineConfig } from './docker/index.js';
export {
  parseManifest,
  type AgentRollback,
  type AgentState,
  type AgentStateProvider,
  type Manifest,
} from './snapshots/index.js';
export { RUNNER as PLUGIN_RUNNER } from './plugins/index.js';
export {
  AgentDisplays,
  captureFrame,
  encodePng,
  refuseUpgrade,
  screenOf,
  VncProxy,
  VncTokens,
  type VncProxyOptions,
  type VncSessionStats,
} from './vnc/index.js';
