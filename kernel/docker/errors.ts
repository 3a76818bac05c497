import { HabitatError } from '../../shared/protocol/index.js';

/** Socket-level failures: the engine itself is down, unreachable or refused us. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOENT',
  'EACCES',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ABORT_ERR',
]);

export function statusCodeOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Docker's own message ("No such container: ..."), without docker-modem's "(HTTP code 404) ..." wrapping. */
function reasonOf(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (typeof json?.message === 'string') return json.message.trim();
  return error instanceof Error ? error.message : String(error);
}

/** Maps a dockerode failure to the protocol's error codes; HabitatErrors pass through unchanged. */
export function dockerError(error: unknown, doing: string, engine: string): HabitatError {
  if (error instanceof HabitatError) return error;
  const reason = reasonOf(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) {
    return new HabitatError(
      'E_UNAVAILABLE',
      `the Docker engine ${engine} is not reachable (${reason}): start dockerd, or check the engine's address`,
    );
  }
  const status = statusCodeOf(error);
  const message = `${doing}: ${reason}`;
  const details = status === undefined ? undefined : { status };
  if (status === 400) return new HabitatError('E_INVALID', message, details);
  if (status === 404) return new HabitatError('E_NOT_FOUND', message, details);
  if (status === 409) return new HabitatError('E_CONFLICT', message, details);
  // anything else (5xx, 304, a broken reply) is the engine failing us, not a bug of ours
  return new HabitatError('E_UNAVAILABLE', `the Docker engine ${engine} failed to ${message}`, details);
}

/** The HTTP status Docker answered with, kept in a mapped error's details. */
export function engineStatus(error: unknown): number | undefined {
  const details =
    error instanceof HabitatError ? (error.details as { status?: unknown } | undefined) : undefined;
  return typeof details?.status === 'number' ? details.status : statusCodeOf(error);
}
