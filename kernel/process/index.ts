export { ProcessTable, toInfo, type ProcessTableOptions, type SpawnRequest } from './ProcessTable.js';
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
} from './types.js';
