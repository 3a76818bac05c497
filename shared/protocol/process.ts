import { z } from 'zod';
import { command, event } from './define.js';

/** Kernel PIDs are virtual, positive, and never reused within a data folder. */
export const PidSchema = z
  .number()
  .int()
  .positive()
  .max(2 ** 31 - 1);

export const ProcessStateSchema = z.enum(['created', 'running', 'sleeping', 'stopped', 'zombie', 'dead']);
export type ProcessState = z.infer<typeof ProcessStateSchema>;

export const AgentPhaseSchema = z.enum([
  'booting',
  'thinking',
  'executing',
  'observing',
  'waiting',
  'completed',
  'failed',
]);
export type AgentPhase = z.infer<typeof AgentPhaseSchema>;

export const SignalSchema = z.enum(['STOP', 'CONT', 'TERM', 'KILL', 'INT', 'WINCH']);
export type Signal = z.infer<typeof SignalSchema>;

export const SandboxKindSchema = z.enum(['host', 'docker']);

export const ProcessInfoSchema = z.object({
  pid: PidSchema,
  ppid: PidSchema.nullable(),
  name: z.string(),
  role: z.string().nullable(),
  goal: z.string().nullable(),
  state: ProcessStateSchema,
  phase: AgentPhaseSchema,
  sandbox: z.object({
    kind: SandboxKindSchema,
    /** What really isolates it: bubblewrap namespaces, a container, or nothing (a plain child process). */
    isolation: z.enum(['bubblewrap', 'container', 'none']),
    osPid: z.number().int().nullable(),
    containerId: z.string().nullable(),
    network: z.boolean(),
  }),
  createdAt: z.string(),
  endedAt: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  exitReason: z.string().nullable(),
});
export type ProcessInfo = z.infer<typeof ProcessInfoSchema>;

const name = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'letters, digits, space, dot, underscore and dash');

export const SpawnArgsSchema = z
  .object({
    name: name.optional(),
    role: z.string().max(2000).optional(),
    goal: z.string().max(20_000).optional(),
    parent: PidSchema.optional(),
    sandbox: SandboxKindSchema.default('host'),
    network: z.boolean().default(false),
  })
  .strict();

export const processCommands = {
  'process.spawn': command({
    description: 'Create an agent process: a kernel PID, a home folder, a sandbox and its shell.',
    args: SpawnArgsSchema,
    result: ProcessInfoSchema,
  }),
  'process.list': command({
    description: 'List processes, optionally filtered by state, phase or parent.',
    args: z
      .object({
        states: z.array(ProcessStateSchema).max(6).optional(),
        phases: z.array(AgentPhaseSchema).max(7).optional(),
        parent: PidSchema.optional(),
      })
      .strict(),
    result: z.object({ processes: z.array(ProcessInfoSchema) }),
  }),
  'process.get': command({
    description: 'One process by kernel PID.',
    args: z.object({ pid: PidSchema }).strict(),
    result: ProcessInfoSchema,
  }),
  'process.signal': command({
    description: 'Send a signal: it reaches the agent loop and the real OS processes or container behind it.',
    args: z.object({ pid: PidSchema, signal: SignalSchema }).strict(),
    result: ProcessInfoSchema,
  }),
  'process.reap': command({
    description: 'Remove a zombie from the table once its exit status has been read.',
    args: z.object({ pid: PidSchema }).strict(),
    result: ProcessInfoSchema,
  }),
};

export const processEvents = {
  'process.spawned': event({ description: 'A process was created.', payload: ProcessInfoSchema }),
  'process.changed': event({
    description: 'A state, phase or exit change. Never dropped for slow consumers.',
    payload: ProcessInfoSchema,
  }),
};
