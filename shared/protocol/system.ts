import { z } from 'zod';
import { command, event } from './define.js';

export const HostModeSchema = z.enum(['desktop', 'headless']);

export const SystemInfoSchema = z.object({
  name: z.literal('Habitat'),
  version: z.string(),
  mode: HostModeSchema,
  kernel: z.object({
    state: z.enum(['running', 'stopping']),
    startedAt: z.string(),
    uptimeMs: z.number().nonnegative(),
    pid: z.number().int(),
  }),
  host: z.object({
    hostname: z.string(),
    platform: z.string(),
    arch: z.string(),
    release: z.string(),
    node: z.string(),
    cpus: z.number().int().nonnegative(),
    memoryTotal: z.number().nonnegative(),
    memoryFree: z.number().nonnegative(),
  }),
  dataDir: z.string(),
  agents: z.object({
    total: z.number().int().nonnegative(),
    running: z.number().int().nonnegative(),
  }),
  sandbox: z.object({
    /** How host agents are isolated: bubblewrap namespaces, or nothing (a plain child process). */
    hostIsolation: z.enum(['bubblewrap', 'none']),
    /** Docker engines container agents can run on: 'local' and those given to habitat serve --docker-engine. */
    dockerEngines: z.array(z.object({ name: z.string(), address: z.string() })),
  }),
  /** Things a person must know, such as isolation being off. Shown loudly by every UI. */
  warnings: z.array(z.string()),
});
export type SystemInfo = z.infer<typeof SystemInfoSchema>;

export const SystemStatsSchema = z.object({
  at: z.string(),
  uptimeMs: z.number().nonnegative(),
  /** Host CPU use over the last sampling interval, 0..1. */
  cpu: z.number().min(0).max(1),
  memoryTotal: z.number().nonnegative(),
  memoryFree: z.number().nonnegative(),
  /** Resident memory of the kernel's own process. */
  kernelRss: z.number().nonnegative(),
  agents: z.object({ total: z.number().int().nonnegative(), running: z.number().int().nonnegative() }),
});
export type SystemStats = z.infer<typeof SystemStatsSchema>;

export const systemCommands = {
  'system.ping': command({
    description: 'Round trip to the kernel. Echoes the nonce.',
    args: z.object({ nonce: z.string().max(256).optional() }).strict(),
    result: z.object({ pong: z.literal(true), nonce: z.string().optional(), at: z.number() }),
  }),
  'system.info': command({
    description: 'Facts about the kernel, its host machine and its data folder.',
    args: z.object({}).strict(),
    result: SystemInfoSchema,
  }),
};

export const systemEvents = {
  'system.stats': event({
    description: 'Resource figures, published every few seconds while anyone listens.',
    payload: SystemStatsSchema,
    coalesceBy: '*',
  }),
  'bridge.dropped': event({
    description:
      'Sent to one subscriber after events were dropped because it read too slowly; state must be re-read.',
    payload: z.object({ count: z.number().int().positive() }),
  }),
};
