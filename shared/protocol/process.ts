import { z } from 'zod';
import { command, event } from './define.js';
import { GpuRequestSchema } from './gpu.js';
import { WorkspaceMountRequestSchema } from './workspace.js';

import { ArgvSchema, PidSchema } from './ids.js';

export { PidSchema };

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
    /** The Docker engine a container agent runs on ('local' or a name from habitat serve --docker-engine). */
    engine: z.string().nullable(),
  }),
  /** UUIDs of the GPUs the agent holds (exclusively, while it lives). */
  gpus: z.array(z.string()),
  /** The agent's main terminal (its shell), while it lives. */
  terminal: z.number().int().nullable(),
  createdAt: z.string(),
  endedAt: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  exitReason: z.string().nullable(),
});
export type ProcessInfo = z.infer<typeof ProcessInfoSchema>;

/** Who drives an agent's goal: the offline planner (default, no network), Gemini, or a local Ollama model. */
export const AgentProviderSchema = z.enum(['heuristic', 'gemini', 'ollama']);
export type AgentProvider = z.infer<typeof AgentProviderSchema>;

/** Which of an agent's actions wait for a person: none, the dangerous ones (default), or every one that changes something. */
export const ApprovalPolicySchema = z.enum(['never', 'dangerous', 'always']);
export type ApprovalPolicy = z.infer<typeof ApprovalPolicySchema>;
/** A graphical agent's screen, in pixels. */
export const ScreenSizeSchema = z
  .object({
    width: z.number().int().min(320).max(7680),
    height: z.number().int().min(200).max(4320),
  })
  .strict();
export type ScreenSize = z.infer<typeof ScreenSizeSchema>;

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
    /** Container image (docker sandboxes; default habitat/sandbox:base). */
    image: z.string().min(1).max(256).optional(),
    /** Docker engine by name (docker sandboxes; default 'local'). */
    engine: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,31}$/)
      .optional(),
    network: z.boolean().default(false),
    /** Container limits (docker): memory in bytes, CPUs, processes. */
    memoryBytes: z
      .number()
      .int()
      .min(16 * 1024 * 1024)
      .max(2 ** 50)
      .optional(),
    cpus: z.number().min(0.01).max(1024).optional(),
    pids: z.number().int().min(8).max(1_000_000).optional(),
    /** GPUs: a count (any free ones) or device ids (index or UUID); E_LIMIT when not enough are free. */
    gpus: GpuRequestSchema.optional(),
    // With a goal, the agent runs its think-act-observe loop; these say how (they need a goal).
    /** Default heuristic, the offline planner. */
    provider: AgentProviderSchema.optional(),
    /** The provider's model (its default otherwise). */
    model: z.string().min(1).max(200).optional(),
    /** Default dangerous. */
    approvalPolicy: ApprovalPolicySchema.optional(),
    /** Model turns before the run gives up (default 50). */
    maxSteps: z.number().int().min(1).max(10_000).optional(),
    /** A checkpoint after every step of the loop, for rollback: true keeps the last 20, a number that many. */
    checkpoints: z.union([z.boolean(), z.number().int().min(1).max(1000)]).optional(),
    /** Shared workspaces mounted at ~/shared/<name> from the start (the only way for a container agent). */
    workspaces: z.array(WorkspaceMountRequestSchema).max(16).optional(),
    /**
     * A graphical desktop (docker only; the image defaults to habitat/sandbox:desktop): true for 1280x800, or the
     * screen size. See the vnc.* commands.
     */
    graphical: z.union([z.boolean(), ScreenSizeSchema]).optional(),
  })
  .strict();

export const LogEntrySchema = z.object({
  seq: z.number().int(),
  pid: PidSchema.nullable(),
  type: z.string(),
  at: z.number(),
  payload: z.unknown(),
});
export type LogEntry = z.infer<typeof LogEntrySchema>;

/** What process.exec writes to a command's standard input, at most. */
export const EXEC_MAX_INPUT_BYTES = 1024 * 1024;
/** Enough characters for EXEC_MAX_INPUT_BYTES in base64; the kernel checks the decoded byte count. */
const EXEC_MAX_INPUT_CHARS = Math.ceil(EXEC_MAX_INPUT_BYTES / 3) * 4;
/** The largest maxOutputBytes: bytes kept of stdout, and of stderr. */
export const EXEC_MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

export const ExecResultSchema = z.object({
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  truncated: z.boolean(),
  timedOut: z.boolean(),
  durationMs: z.number().nonnegative(),
});
export type ExecResult = z.infer<typeof ExecResultSchema>;

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

  'process.exec': command({
    description:
      "Run a command to completion inside the agent's sandbox; returns its output and exit code. With encoding " +
      "'base64', input is given and stdout and stderr are returned in base64, byte for byte; 'utf8' (the default) " +
      'decodes the output, replacing invalid bytes. Input is at most EXEC_MAX_INPUT_BYTES (E_LIMIT beyond).',
    args: z
      .object({
        pid: PidSchema,
        argv: ArgvSchema,
        input: z.string().max(EXEC_MAX_INPUT_CHARS).optional(),
        encoding: z.enum(['utf8', 'base64']).default('utf8'),
        timeoutMs: z.number().int().min(1).max(3_600_000).default(60_000),
        maxOutputBytes: z
          .number()
          .int()
          .min(1)
          .max(EXEC_MAX_OUTPUT_BYTES)
          .default(1024 * 1024),
      })
      .strict(),
    result: ExecResultSchema,
  }),
  'process.logs': command({
    description:
      "An agent's log from the kernel's event log: the latest entries, or those after a sequence number.",
    args: z
      .object({
        pid: PidSchema,
        limit: z.number().int().min(1).max(5000).default(500),
        after: z.number().int().nonnegative().optional(),
      })
      .strict(),
    result: z.object({ entries: z.array(LogEntrySchema) }),
  }),
};

export const processEvents = {
  'process.log': event({
    description: 'One new log entry of an agent; published on the topic process.log.<pid>.',
    payload: LogEntrySchema,
  }),
  'process.spawned': event({
    description: 'A process was created.',
    payload: ProcessInfoSchema,
    coalesceBy: 'pid',
  }),
  'process.changed': event({
    description:
      'A state, phase or exit change. Never lost for slow consumers: they get the latest per process.',
    payload: ProcessInfoSchema,
    coalesceBy: 'pid',
  }),
};
