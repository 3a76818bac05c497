import { z } from 'zod';
import { command, event } from './define.js';
import { PidSchema, ProcessInfoSchema } from './process.js';

/** Snapshot ids are made by the kernel: `snap-` and lowercase letters and digits. */
export const SnapshotIdSchema = z
  .string()
  .regex(/^snap-[a-z0-9]{6,40}$/, 'a snapshot id like snap-k3x9w2q8')
  .max(45);

/** An absolute path on the kernel's machine (exports and imports name files there, not on the caller's). */
export const HostPathSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith('/') && !p.includes('\0'), 'an absolute path on the host');

export const SnapshotInfoSchema = z.object({
  id: SnapshotIdSchema,
  /** The agent it was taken of. */
  pid: PidSchema,
  name: z.string(),
  label: z.string().nullable(),
  createdAt: z.string(),
  sandbox: z.enum(['host', 'docker']),
  files: z.number().int().nonnegative(),
  dirs: z.number().int().nonnegative(),
  symlinks: z.number().int().nonnegative(),
  /** Special files (sockets, FIFOs, devices) and unreadable files left out, with the reason in the manifest. */
  skipped: z.number().int().nonnegative(),
  /** Bytes of file content in the home. */
  bytes: z.number().int().nonnegative(),
  /** Bytes this snapshot added to the store: what was not there already (deduplicated). */
  storedBytes: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
  /** sha256 of the manifest, which holds the sha256 of every file. */
  manifest: z.string().regex(/^[0-9a-f]{64}$/),
  /** The agent loop reached a step boundary before its files were read (false: it was paused mid-step). */
  quiesced: z.boolean(),
  /** The loop's state and conversation were captured (an agent runtime was attached). */
  agentState: z.boolean(),
  /** Messages of its mailbox captured. */
  messages: z.number().int().nonnegative(),
  /** A snapshot someone took, or a checkpoint taken after a step of the agent's loop (the last few are kept). */
  kind: z.enum(['snapshot', 'checkpoint']).default('snapshot'),
  /** Steps of its loop done when it was taken (checkpoints). */
  step: z.number().int().nonnegative().nullable().default(null),
});
export type SnapshotInfo = z.infer<typeof SnapshotInfoSchema>;

export const SnapshotOpSchema = z.enum(['create', 'restore', 'rollback', 'export', 'import', 'delete']);

export const SnapshotProgressSchema = z.object({
  /** One id per running operation: a fork reports a create, then a restore. */
  opId: z.string(),
  op: SnapshotOpSchema,
  pid: PidSchema.nullable(),
  snapshot: z.string().nullable(),
  phase: z.string(),
  /** Files (or objects) done, of total when known. */
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative().nullable(),
  bytes: z.number().int().nonnegative(),
  message: z.string().optional(),
});
export type SnapshotProgress = z.infer<typeof SnapshotProgressSchema>;

export const RestoreResultSchema = z.object({
  snapshot: SnapshotIdSchema,
  process: ProcessInfoSchema,
  /** What could not be brought back as it was (a workspace the new agent may not mount, a dropped setuid bit). */
  warnings: z.array(z.string()),
  durationMs: z.number().nonnegative(),
});
export type RestoreResult = z.infer<typeof RestoreResultSchema>;

export const RollbackResultSchema = z.object({
  pid: PidSchema,
  snapshot: SnapshotIdSchema,
  /** The step of its loop it went back to (checkpoints). */
  step: z.number().int().nonnegative().nullable(),
  warnings: z.array(z.string()),
  durationMs: z.number().nonnegative(),
});
export type RollbackResult = z.infer<typeof RollbackResultSchema>;

/** Checkpoints kept per agent unless it was told otherwise (spawn --checkpoints N). */
export const DEFAULT_CHECKPOINTS_KEPT = 20;

/** An agent's automatic checkpoints: on, and how many are kept (older ones are deleted). */
export const CheckpointSettingsSchema = z.object({
  pid: PidSchema,
  enabled: z.boolean(),
  keep: z.number().int().min(1).max(1000),
});
export type CheckpointSettings = z.infer<typeof CheckpointSettingsSchema>;

const label = z.string().min(1).max(200);
const agentName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'letters, digits, space, dot, underscore and dash');
const waitMs = z.number().int().min(0).max(600_000);

export const snapshotCommands = {
  'snapshot.create': command({
    description:
      'Snapshot an agent: pause it (its loop at a step boundary, its processes or container), capture its home, ' +
      'configuration, loop state, conversation and mailbox into the deduplicated store, then resume it.',
    args: z
      .object({
        pid: PidSchema,
        label: label.optional(),
        /** How long to wait for the loop to reach a step boundary before it is captured mid-step. */
        waitMs: waitMs.default(5_000),
      })
      .strict(),
    result: SnapshotInfoSchema,
  }),
  'snapshot.list': command({
    description: 'Snapshots in the store, oldest first, optionally of one agent.',
    args: z.object({ pid: PidSchema.optional() }).strict(),
    result: z.object({
      snapshots: z.array(SnapshotInfoSchema),
      /** Bytes the content store holds on disk (every snapshot, deduplicated). */
      storeBytes: z.number().int().nonnegative(),
    }),
  }),
  'snapshot.restore': command({
    description:
      "Start a new agent (a new PID) from a snapshot: its configuration, its home's files (verified against " +
      'their checksums before anything is moved into place), loop state, conversation and mailbox.',
    args: z.object({ id: SnapshotIdSchema, name: agentName.optional() }).strict(),
    result: RestoreResultSchema,
  }),
  'snapshot.fork': command({
    description: 'Snapshot a running agent and restore the snapshot as a new agent; the original runs on.',
    args: z
      .object({
        pid: PidSchema,
        name: agentName.optional(),
        label: label.optional(),
        waitMs: waitMs.default(5_000),
      })
      .strict(),
    result: RestoreResultSchema.extend({ info: SnapshotInfoSchema }),
  }),
  'snapshot.rollback': command({
    description:
      'Take a live agent back, in place (same PID), to one of its own snapshots or checkpoints: it is held at a ' +
      "step boundary, its home's contents are replaced by the verified copy, and its conversation, loop state and " +
      'mailbox go back too; then it runs on from there.',
    args: z.object({ pid: PidSchema, id: SnapshotIdSchema, waitMs: waitMs.default(5_000) }).strict(),
    result: RollbackResultSchema,
  }),
  'snapshot.checkpoints': command({
    description:
      "Turn an agent's automatic checkpoints (one after every step of its loop) on or off, or say how many are " +
      'kept; without enabled, only reads the setting.',
    args: z
      .object({
        pid: PidSchema,
        enabled: z.boolean().optional(),
        keep: z.number().int().min(1).max(1000).optional(),
      })
      .strict(),
    result: CheckpointSettingsSchema,
  }),
  'snapshot.delete': command({
    description: 'Delete a snapshot; store objects no other snapshot uses are removed.',
    args: z.object({ id: SnapshotIdSchema }).strict(),
    result: z.object({ id: SnapshotIdSchema, freedBytes: z.number().int().nonnegative() }),
  }),
  'snapshot.export': command({
    description:
      'Write a snapshot as one tar file (optionally gzipped) at an absolute path on the kernel host: its ' +
      'manifest and every object it uses.',
    args: z
      .object({
        id: SnapshotIdSchema,
        path: HostPathSchema,
        gzip: z.boolean().default(false),
        overwrite: z.boolean().default(false),
      })
      .strict(),
    result: z.object({ id: SnapshotIdSchema, path: z.string(), bytes: z.number().int().nonnegative() }),
  }),
  'snapshot.import': command({
    description:
      'Read a snapshot file written by snapshot.export (a path on the kernel host). Every entry and checksum is ' +
      'verified before the snapshot is added; a damaged or crafted file is refused and leaves nothing behind.',
    args: z.object({ path: HostPathSchema }).strict(),
    result: SnapshotInfoSchema,
  }),
};

export const snapshotEvents = {
  'snapshot.progress': event({
    description: 'Progress of a long snapshot operation (create, restore, rollback, export, import).',
    payload: SnapshotProgressSchema,
    coalesceBy: 'opId',
  }),
  'snapshot.created': event({
    description: 'A snapshot was added to the store (taken or imported).',
    payload: SnapshotInfoSchema,
  }),
  'snapshot.deleted': event({
    description: 'A snapshot was deleted.',
    payload: z.object({ id: SnapshotIdSchema }),
  }),
};
