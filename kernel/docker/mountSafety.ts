import { realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, relative } from 'node:path';
import { HabitatError } from '../../shared/protocol/index.js';

/** Sockets that hand out root on the host: never reachable from a sandbox. */
function engineSockets(extra: readonly string[]): string[] {
  const fromEnv = process.env.DOCKER_HOST?.startsWith('unix://') ? [process.env.DOCKER_HOST.slice(7)] : [];
  const uid = process.getuid?.();
  return [
    '/var/run/docker.sock',
    '/run/docker.sock',
    `${homedir()}/.docker/run/docker.sock`,
    ...(uid === undefined ? [] : [`/run/user/${uid}/docker.sock`]),
    '/run/containerd/containerd.sock',
    '/var/run/containerd/containerd.sock',
    ...fromEnv,
    ...extra,
  ];
}

/** The canonical path, following symlinks as far as they exist (/var/run -> /run). */
function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function contains(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Refuses bind sources that would put a Docker (or containerd) socket inside a sandbox: a socket itself, or a
 * folder that holds one anywhere below it (/, /run, /var...). Sources must be existing absolute paths.
 */
export function assertMountSourcesSafe(
  sources: readonly string[],
  knownSockets: readonly string[] = [],
): void {
  const sockets = engineSockets(knownSockets).map(canonical);
  for (const source of sources) {
    if (!isAbsolute(source))
      throw new HabitatError('E_INVALID', `a mount source must be absolute: ${source}`);
    let real: string;
    try {
      real = realpathSync(source);
    } catch {
      throw new HabitatError('E_NOT_FOUND', `the folder to mount does not exist: ${source}`);
    }
    if (statSync(real).isSocket()) {
      throw new HabitatError('E_DENIED', `a socket may never be mounted into a sandbox: ${source}`);
    }
    const exposed = sockets.find((socket) => contains(real, socket));
    if (exposed) {
      throw new HabitatError(
        'E_DENIED',
        `mounting ${source} would expose the engine socket ${exposed} to the sandbox: refused`,
      );
    }
  }
}
