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
