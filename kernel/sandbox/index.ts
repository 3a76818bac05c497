export type {
  AgentSandbox,
  Isolation,
  LaunchPlan,
  SandboxBackend,
  SandboxExecOptions,
  SandboxExecResult,
  SandboxLimits,
  SandboxMount,
  SandboxProgram,
  SandboxProvider,
  SandboxSpec,
  TerminalLaunch,
} from './types.js';
export { HostSandbox, type HostSandboxOptions } from './HostSandbox.js';
export { HostProvider } from './HostProvider.js';
export { execPlan, type ExecOptions, type ExecResult } from './hostExec.js';
export { runningTimeout } from './runningTimeout.js';
export { detectBubblewrap, HOME_INSIDE } from './bubblewrap.js';
export { agentIdentityEnvironment, scrubbedEnvironment } from './environment.js';
export { DEFAULT_LIMITS } from './limits.js';
