import { z } from 'zod';

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

export const ErrorCodeSchema = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCodeSchema>;

export const ErrorValueSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  details: z.unknown().optional(),
});
export type ErrorValue = z.infer<typeof ErrorValueSchema>;

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

/** Turns a zod failure into the short, path-qualified list a caller can act on. */
export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.slice(0, 10).map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
}
