export { ProcessTable, toInfo, type ProcessTableOptions, type SpawnRequest } from './ProcessTable.js';
export { LoopControl } from './LoopControl.js';

export type {
  AgentShell,
  GpuLedger,
  ProcessAddon,
  ProcessRecord,
  ProcessStore,
  ShellLauncher,
} from './types.js';
