import { HabitatError } from '../../shared/protocol/index.js';

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/** Whether a dockerode failure means the daemon itself cannot be reached (as opposed to an API error). */
export function isDaemonUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNREACHABLE_CODES.has(code);
}

export function statusCodeOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Maps a dockerode failure to the protocol's error codes; HabitatErrors pass through unchanged. */
export function dockerError(error: unknown, doing: string): HabitatError {
  if (error instanceof HabitatError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  if (isDaemonUnreachable(error)) {
    return new HabitatError(
      'E_UNAVAILABLE',
      `the Docker daemon is not reachable (${reason}): start dockerd, or check DOCKER_HOST`,
    );
  }
  const status = statusCodeOf(error);
  if (status === 404) return new HabitatError('E_NOT_FOUND', `${doing}: ${reason}`);
  if (status === 409) return new HabitatError('E_CONFLICT', `${doing}: ${reason}`);
  return new HabitatError('E_INTERNAL', `${doing}: ${reason}`);
}

/** Runs a Docker API call, turning its failures into HabitatErrors. */
export async function withDocker<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw dockerError(error, doing);
  }
}

/** The error an aborted build ends with: the signal's own HabitatError, E_TIMEOUT for a timeout, else E_CONFLICT. */
export function abortedError(signal: AbortSignal, doing: string): HabitatError {
  const reason: unknown = signal.reason;
  if (reason instanceof HabitatError) return reason;
  if ((reason as { name?: unknown } | null)?.name === 'TimeoutError') {
    return new HabitatError('E_TIMEOUT', `${doing}: timed out`);
  }
  return new HabitatError('E_CONFLICT', `${doing}: aborted`);
}
