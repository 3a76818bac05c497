import type { Kernel } from '../../kernel/index.js';
import type { AgentSupervisor } from '../../runtime/index.js';
import type { Handlers } from '../bridge/index.js';
import { agentHandlers } from './agent.js';
import { fsHandlers } from './fs.js';
import { gpuHandlers } from './gpu.js';
import { imageHandlers } from './images.js';
import { msgHandlers } from './msg.js';
import { pluginHandlers } from './plugin.js';
import { processHandlers } from './process.js';
import { ptyHandlers } from './pty.js';
import { snapshotHandlers } from './snapshot.js';
import { systemHandlers } from './system.js';
import { workspaceHandlers } from './workspace.js';
import { vncHandlers } from './vnc.js';

/** Every domain's handlers, composed. Each domain module maps protocol commands onto kernel or runtime calls. */
export function createHandlers(kernel: Kernel, agents: AgentSupervisor): Handlers {
  return {
    ...systemHandlers(kernel),
    ...processHandlers(kernel, agents),
    ...ptyHandlers(kernel),
    ...fsHandlers(kernel),
    ...imageHandlers(kernel.docker, kernel.images, kernel.events),
    ...gpuHandlers(kernel),
    ...agentHandlers(agents, kernel.events),
    ...snapshotHandlers(kernel),
    ...workspaceHandlers(kernel),
    ...msgHandlers(kernel),
    ...pluginHandlers(kernel),
    ...vncHandlers(kernel),
  };
}
