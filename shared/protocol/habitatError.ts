/**
 * Errors as they cross the wire, without zod: the renderer's first paint needs HabitatError and the wire envelope
 * but no schema (errors.ts adds the schemas for the host and for command validation).
 */

/** The closed set of error codes. A caller never sees a stack trace, only one of these with a message. */
export const ERROR_CODES = [
  'E_INVALID', // the request is malformed or fails its schema
  'E_NOT_FOUND', // the thing named does not exist (unknown command, PID, path)
  'E_DENIED', // authenticated but not allowed (path escape, policy)
  'E_CONFLICT', // the thing exists or is in a state that forbids this
  'E_UNAVAILABLE', // a dependency is missing or down (Docker, a model, a feature not in this build)
  'E_TIMEOUT', // the operation ran out of time
  'E_LIMIT', // a size, count or quota limit was hit
  'E_INTERNAL', // a bug: logged on the host with its stack, reported here without it
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorValue {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

const CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** Whether a value from the wire is an ErrorValue (what ErrorValueSchema accepts). */
export function isErrorValue(value: unknown): value is ErrorValue {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const { code, message } = value as Record<string, unknown>;
  return typeof code === 'string' && CODES.has(code) && typeof message === 'string';
}

/** Thrown inside the host and by clients; crosses the wire only as an ErrorValue. */
export class HabitatError extends Error {
  override readonly name = 'HabitatError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  toValue(): ErrorValue {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromValue(value: ErrorValue): HabitatError {
    return new HabitatError(value.code, value.message, value.details);
  }
}

export function isHabitatError(value: unknown): value is HabitatError {
  return value instanceof HabitatError;
}
