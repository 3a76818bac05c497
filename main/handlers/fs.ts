import type { Kernel } from '../../kernel/index.js';
import type { CallContext, Handlers } from '../bridge/index.js';

/** Agent homes over the bridge: every path goes through AgentFs's safe resolution. Watches end with the connection. */
export function fsHandlers(kernel: Kernel): Handlers {
  const home = (pid: number) => {
    kernel.processes.get(pid); // E_NOT_FOUND for an unknown PID
    return kernel.fs(pid);
  };
  const watchOwners = new Map<string, number>();
  return {
    'fs.stat': ({ pid, path }) => home(pid).stat(path),
    'fs.list': ({ pid, path, limit }) => home(pid).list(path, { limit }),
    'fs.read': ({ pid, path, encoding, offset, length }) =>
      home(pid).read(path, { encoding, offset, length }),
    'fs.write': ({ pid, path, content, encoding, createParents, append }) =>
      home(pid).write(path, content, { encoding, createParents, append }),
    'fs.mkdir': ({ pid, path, recursive }) => home(pid).mkdir(path, { recursive }),
    'fs.move': ({ pid, from, to, overwrite }) => home(pid).move(from, to, { overwrite }),
    'fs.copy': ({ pid, from, to, overwrite }) => home(pid).copy(from, to, { overwrite }),
    'fs.delete': ({ pid, path, recursive }) => home(pid).delete(path, { recursive }),
    'fs.watch': async ({ pid, path }, context: CallContext) => {
      const files = home(pid);
      const watch = await files.watch(path, (change) =>
        context.push('fs.changed', { pid, watchId: watch.id, ...change }),
      );
      watchOwners.set(watch.id, context.sessionId);
      context.onClose(() => {
        // only watches the session has not already ended with fs.unwatch
        if (watchOwners.delete(watch.id)) files.unwatch(watch.id);
      });
      return { watchId: watch.id, path: watch.path };
    },
    'fs.unwatch': ({ pid, watchId }, context) => {
      if (watchOwners.get(watchId) === context.sessionId) {
        home(pid).unwatch(watchId);
        watchOwners.delete(watchId);
      }
      return { watchId };
    },
  };
}
