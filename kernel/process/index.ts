export { ProcessTable, toInfo, type ProcessTableOptions, type SpawnRequest } from './ProcessTable.js';
export { LoopControl } from './LoopControl.js';
export { execPlan, type ExecOptions, type ExecResult } from './exec.js';
export type { AgentShell, LoopSignal, ProcessRecord, ProcessStore, ShellLauncher } from './types.js';
