import type { Kernel } from '../../kernel/index.js';
import type { Handlers } from '../bridge/index.js';

/** Plugins in agents' homes: listed, installed from a folder on the host, run inside the agent's sandbox. */
export function pluginHandlers(kernel: Kernel): Handlers {
  const { plugins } = kernel;
  return {
    'plugin.list': ({ pid }) => {
      kernel.processes.get(pid); // E_NOT_FOUND for a PID that never existed
      return plugins.list(pid);
    },
    'plugin.install': ({ pid, source, replace }) => plugins.install(pid, source, replace),
    'plugin.run': ({ pid, plugin, tool, arguments: args }) => plugins.run(pid, plugin, tool, args),
  };
}
