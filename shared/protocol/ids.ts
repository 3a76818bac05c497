import { z } from 'zod';

/**
 * Kernel PIDs are virtual, positive, and never reused within a data folder. (Its own module: a schema that needs
 * only the PID need not build the process schemas, which matters for what the renderer builds before its first paint.)
 */
export const PidSchema = z
  .number()
  .int()
  .positive()
  .max(2 ** 31 - 1);

/** A command line run in an agent's sandbox: the program and its arguments, each at most 64 KiB. */
export const ArgvSchema = z
  .array(z.string().max(64 * 1024))
  .min(1)
  .max(1024);
