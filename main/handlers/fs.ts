import type { Kernel } from '../../kernel/index.js';
import type { CallContext, Handlers } from '../bridge/index.js';

/**
 * Agent homes over the bridge: every path goes through AgentFs's safe resolution. Watches end with the connection,
 * and so do the part files of its writes in parts (`habitat fs put` of a large file), moved into place by then or
 * removed: a CLI killed or cut off mid-put leaves no .habitat-tmp-* file behind, and a put of another connection is
 * never touched.
 */
export function fsHandlers(kernel: Kernel): Handlers {
  const home = (pid: number) => {
    kernel.processes.get(pid); // E_NOT_FOUND for an unknown PID
    return kernel.fs(pid);
  };
  const watchOwners = new Map<string, number>();
  /** The homes each connection wrote into: it releases its part files there when it closes. */
  const writtenBy = new WeakMap<CallContext, Set<ReturnType<Kernel['fs']>>>();
  return {
    'fs.stat': ({ pid, path }) => home(pid).stat(path),
    'fs.list': ({ pid, path, limit }) => home(pid).list(path, { limit }),
    'fs.read': ({ pid, path, encoding, offset, length }) =>
      home(pid).read(path, { encoding, offset, length }),
    'fs.write': ({ pid, path, content, encoding, createParents, append, mode }, context: CallContext) => {
      const files = home(pid);
      let homes = writtenBy.get(context);
      if (!homes) {
        const written = (homes = new Set());
        writtenBy.set(context, written);
        // a closed session takes no more calls, and releaseParts queues behind the writes already asked for
        context.onClose(() => written.forEach((h) => void h.releaseParts(context).catch(() => undefined)));
      }
      homes.add(files);
      return files.write(path, content, { encoding, createParents, append, mode, holder: context });
    },
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
