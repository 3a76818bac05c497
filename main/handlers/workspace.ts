import type { Kernel } from '../../kernel/index.js';
import type { Handlers } from '../bridge/index.js';

/** Shared workspaces; the kernel decides who may mount what (owner, grants). */
export function workspaceHandlers(kernel: Kernel): Handlers {
  const { workspaces } = kernel;
  return {
    'workspace.create': ({ name, owner }) => workspaces.create(name, owner),
    'workspace.list': () => ({ workspaces: workspaces.list() }),
    'workspace.delete': async ({ name, force }) => {
      await workspaces.delete(name, force);
      return { name };
    },
    'workspace.grant': ({ name, pid, mode }) => workspaces.grant(name, pid, mode),
    'workspace.mount': ({ name, pid, mode }) => workspaces.mount(name, pid, mode),
  };
}
