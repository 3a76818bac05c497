import { z } from 'zod';
import { ERROR_CODES, type ErrorValue } from './habitatError.js';

export {
  ERROR_CODES,
  HabitatError,
  isErrorValue,
  isHabitatError,
  type ErrorCode,
  type ErrorValue,
} from './habitatError.js';

export const ErrorCodeSchema = z.enum(ERROR_CODES);

export const ErrorValueSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  details: z.unknown().optional(),
}) satisfies z.ZodType<ErrorValue>;

/** Turns a zod failure into the short, path-qualified list a caller can act on. */
export function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.slice(0, 10).map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
}
