export type { Isolation, LaunchPlan, SandboxBackend, SandboxLimits, SandboxSpec } from './types.js';
export { HostSandbox, type HostSandboxOptions } from './HostSandbox.js';
export { detectBubblewrap, HOME_INSIDE } from './bubblewrap.js';
export { scrubbedEnvironment } from './environment.js';
export { DEFAULT_LIMITS } from './limits.js';
