// A real Docker client that fails chosen calls on chosen containers, as a busy or hung daemon does, for tests of
// what the kernel does when the engine refuses it.
import Dockerode from 'dockerode';

export type FaultyCall = 'remove' | 'inspect';

export interface FaultyDocker {
  docker: Dockerode;
  /** The next `times` calls of this kind on this container fail (default: until cleared). */
  fail(call: FaultyCall, id: string, times?: number): void;
  clear(): void;
  /** How many calls failed so far, of this kind on this container. */
  failures(call: FaultyCall, id: string): number;
}

/** Docker's answer when it cannot remove a container's filesystem, as dockerode reports it. */
function engineFailure(call: FaultyCall): Error {
  const message =
    call === 'remove'
      ? 'driver failed to remove root filesystem: device or resource busy'
      : 'context deadline exceeded';
  return Object.assign(new Error(`(HTTP code 500) server error - ${message}`), {
    statusCode: 500,
    json: { message },
  });
}

export function faultyDocker(): FaultyDocker {
  const docker = new Dockerode();
  const plans = new Map<string, number>();
  const counts = new Map<string, number>();
  const key = (call: FaultyCall, id: string): string => `${call}:${id}`;
  const getContainer = docker.getContainer.bind(docker);
  const failing = (call: FaultyCall, id: string): boolean => {
    const left = plans.get(key(call, id)) ?? 0;
    if (left <= 0) return false;
    plans.set(key(call, id), left - 1);
    counts.set(key(call, id), (counts.get(key(call, id)) ?? 0) + 1);
    return true;
  };
  docker.getContainer = (id: string) => {
    const container = getContainer(id);
    const remove = container.remove.bind(container) as (options?: object) => Promise<unknown>;
    const inspect = container.inspect.bind(container) as (options?: object) => Promise<unknown>;
    Object.assign(container, {
      remove: (options?: object) =>
        failing('remove', id) ? Promise.reject(engineFailure('remove')) : remove(options),
      inspect: (options?: object) =>
        failing('inspect', id) ? Promise.reject(engineFailure('inspect')) : inspect(options),
    });
    return container;
  };
  return {
    docker,
    fail: (call, id, times = Number.POSITIVE_INFINITY) => void plans.set(key(call, id), times),
    clear: () => plans.clear(),
    failures: (call, id) => counts.get(key(call, id)) ?? 0,
  };
}
