import { useEffect, useRef } from 'react';
import type { FsChanged } from '../../../shared/protocol/index.js';
import { api } from '../store/api.js';
import { useHabitat } from '../store/store.js';

/**
 * Follows a file or a folder (recursively) of an agent's home: onChange runs, debounced, after changes under it,
 * with what changed. A watch belongs to the connection that made it (the host ends it when that connection closes),
 * so it is made again each time the connection opens, as useAgentLog asks for its log again; onChange then runs
 * once with no changes, because whatever happened while the connection was down was never reported. `path` null
 * watches nothing.
 */
export function useFsWatch(
  pid: number,
  path: string | null,
  onChange: (changes: FsChanged[]) => void,
  debounceMs = 200,
): void {
  const connection = useHabitat((s) => s.connection);
  const listener = useRef(onChange);
  useEffect(() => {
    listener.current = onChange;
  });
  // the target this hook last watched: a second watch of the same one is a reconnect
  const watched = useRef<string | null>(null);

  useEffect(() => {
    if (path === null || connection !== 'open') return;
    const target = `${pid}\u0000${path}`;
    const again = watched.current === target;
    watched.current = target;
    let watchId: string | undefined;
    let disposed = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let pending: FsChanged[] = [];
    const flush = () => {
      timer = undefined;
      const changes = pending;
      pending = [];
      if (!disposed) listener.current(changes);
    };
    // subscribed before the watch is made, so that nothing between the two is missed
    const off = api().subscribe('fs.changed', (change) => {
      if (change.pid !== pid || change.watchId !== watchId) return;
      pending.push(change);
      clearTimeout(timer);
      timer = setTimeout(flush, debounceMs);
    });
    api()
      .call('fs.watch', { pid, path })
      .then(
        (result) => {
          if (disposed) {
            void api()
              .call('fs.unwatch', { pid, watchId: result.watchId })
              .catch(() => {});
            return;
          }
          watchId = result.watchId;
          if (again) flush();
        },
        // a path that is gone, or the home's watch limit: the view still works, it just does not follow
        () => {},
      );
    return () => {
      disposed = true;
      clearTimeout(timer);
      off();
      if (watchId)
        void api()
          .call('fs.unwatch', { pid, watchId })
          .catch(() => {});
    };
  }, [pid, path, connection, debounceMs]);
}
