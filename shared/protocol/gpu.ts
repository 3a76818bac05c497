import { z } from 'zod';
import { command, event } from './define.js';

/** How a spawn names a GPU: its index as nvidia-smi prints it ("0") or its UUID ("GPU-6b5c…", "MIG-…"). */
export const GpuIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, 'a GPU index (0) or UUID (GPU-…)');

/** A spawn's GPUs: how many (any free ones), or which ones. Exclusive: no two live agents share a GPU. */
export const GpuRequestSchema = z.union([
  z.number().int().min(1).max(64),
  z
    .array(z.union([z.number().int().nonnegative().max(1023), GpuIdSchema]))
    .min(1)
    .max(64)
    .transform((ids) => ids.map(String)),
]);
export type GpuRequest = z.output<typeof GpuRequestSchema>;

/** One GPU as nvidia-smi reports it. A figure the device does not report ([N/A], [Not Supported]) is null. */
export const GpuDeviceSchema = z.object({
  index: z.number().int().nonnegative(),
  uuid: z.string(),
  name: z.string(),
  /** Bytes (nvidia-smi reports MiB). */
  memoryTotal: z.number().nonnegative().nullable(),
  memoryUsed: z.number().nonnegative().nullable(),
  /** Busy share of the last sample period, 0..1. */
  utilization: z.number().min(0).max(1).nullable(),
  temperatureC: z.number().nullable(),
  powerW: z.number().nonnegative().nullable(),
});
export type GpuDevice = z.infer<typeof GpuDeviceSchema>;

export const GpuInfoSchema = GpuDeviceSchema.extend({
  /** The kernel PID of the live agent that holds this GPU, or null when it is free. */
  // (not PidSchema: process.ts imports this module for SpawnArgs, and a cycle would leave one of them undefined)
  heldBy: z.number().int().positive().nullable(),
});
export type GpuInfo = z.infer<typeof GpuInfoSchema>;

export const GpuListSchema = z.object({
  gpus: z.array(GpuInfoSchema),
  /** Why the list may be incomplete or stale (nvidia-smi failed); null when it answered or is not installed. */
  warning: z.string().nullable(),
});
export type GpuList = z.infer<typeof GpuListSchema>;

export const GpuStatsSchema = z.object({ at: z.string(), gpus: z.array(GpuInfoSchema) });
export type GpuStats = z.infer<typeof GpuStatsSchema>;

export const gpuCommands = {
  'gpu.list': command({
    description: 'The GPUs nvidia-smi reports, with current figures and the agent that holds each.',
    args: z.object({}).strict(),
    result: GpuListSchema,
  }),
};

export const gpuEvents = {
  'gpu.stats': event({
    description: 'GPU figures (memory, utilization, temperature, power), polled while anyone listens.',
    payload: GpuStatsSchema,
    coalesceBy: '*',
  }),
};
