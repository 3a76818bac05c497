import type { Kernel } from '../../kernel/index.js';
import type { Handlers } from '../bridge/index.js';

/**
 * Snapshots: capture, list, restore to a new PID, fork, roll an agent back in place, its checkpoints, delete, export
 * and import; progress arrives as events.
 */
export function snapshotHandlers(kernel: Kernel): Handlers {
  const { snapshots } = kernel;
  return {
    'snapshot.create': ({ pid, label, waitMs }) => {
      kernel.assertRunning();
      return snapshots.create(pid, { ...(label === undefined ? {} : { label }), waitMs });
    },
    'snapshot.list': ({ pid }) => snapshots.list(pid === undefined ? {} : { pid }),
    'snapshot.restore': ({ id, name }) => {
      kernel.assertRunning();
      return snapshots.restore(id, name === undefined ? {} : { name });
    },
    'snapshot.fork': ({ pid, name, label, waitMs }) => {
      kernel.assertRunning();
      return snapshots.fork(pid, {
        ...(name === undefined ? {} : { name }),
        ...(label === undefined ? {} : { label }),
        waitMs,
      });
    },
    'snapshot.rollback': ({ pid, id, waitMs }) => {
      kernel.assertRunning();
      return snapshots.rollback(pid, id, { waitMs });
    },
    'snapshot.checkpoints': ({ pid, enabled, keep }) =>
      snapshots.checkpoints(pid, {
        ...(enabled === undefined ? {} : { enabled }),
        ...(keep === undefined ? {} : { keep }),
      }),
    'snapshot.delete': ({ id }) => snapshots.delete(id),
    'snapshot.export': ({ id, path, gzip, overwrite }) => snapshots.export(id, path, { gzip, overwrite }),
    'snapshot.import': ({ path }) => snapshots.import(path),
  };
}
