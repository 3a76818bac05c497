export { ProcessTable, toInfo } from './ProcessTable.js';
export { LoopControl } from './LoopControl.js';

export type {
  AgentShell,
  GpuLedger,
  MountResolver,
  ProcessRecord,
  ProcessStore,
  ShellLauncher,
  WorkspaceBind,
  ProcessAddon,
  ProcessTableOptions,
  SpawnRequest,
} from './types.js';
