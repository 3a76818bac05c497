// Container sandboxes on Docker engines (local or remote): one locked-down container per agent, its terminals and
// commands as execs, STOP/CONT as pause/unpause, and boot-time reconciliation. Other kernel code imports only here.
export { DockerEngine, type DockerEndpoint, type DockerEngineOptions } from './DockerEngine.js';
export { DockerSandbox, type DockerSandboxOptions } from './DockerSandbox.js';
export { ContainerAgent, type ContainerAgentInfo, type ContainerState } from './ContainerAgent.js';
export { ContainerTerminal, type ContainerTerminalOptions } from './ContainerTerminal.js';
export { ContainerProgram } from './containerProgram.js';
export {
  containerCreateOptions,
  HOME_IN_CONTAINER,
  type ContainerMount,
  type ContainerSpec,
  type ResolvedContainer,
} from './containerConfig.js';
export type { ContainerExecOptions, ContainerExecResult } from './containerExec.js';
export { DEFAULT_CONTAINER_LIMITS, resolveLimits, type ContainerLimits } from './limits.js';
export { LABELS, managedFilter, type ContainerIdentity } from './labels.js';
export {
  listManaged,
  reconcileContainers,
  type ManagedContainer,
  type ReconcileOptions,
  type ReconcileResult,
} from './reconcile.js';
export { AGENT_USER } from './homeOwner.js';
export { DockerProvider } from './DockerProvider.js';
export { WarmPool, type WarmPoolOptions, type WarmPoolStatus } from './WarmPool.js';
export { DockerEngines, type DockerEnginesOptions } from './DockerEngines.js';
export { LOCAL_ENGINE, parseEngineSpec, type EngineConfig } from './engineUrl.js';
