import { z } from 'zod';
import { command, event } from './define.js';

// (not PidSchema: process.ts imports this module for its spawn arguments, and a cycle would leave one undefined)
const pid = z
  .number()
  .int()
  .positive()
  .max(2 ** 31 - 1);

/** A workspace name: one path component, so it can never climb out of shared/ or ~/shared. */
export const WorkspaceNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lowercase letters, digits, dot, underscore and dash');

export const MountModeSchema = z.enum(['ro', 'rw']);
export type MountMode = z.infer<typeof MountModeSchema>;

/** A workspace a spawn asks for: mounted at ~/shared/<name> from the start. */
export const WorkspaceMountRequestSchema = z
  .object({ name: WorkspaceNameSchema, mode: MountModeSchema.default('rw') })
  .strict();

export const WorkspaceInfoSchema = z.object({
  name: WorkspaceNameSchema,
  /** The agent that owns it (may mount it read-write and share it), or null: the user's. */
  owner: pid.nullable(),
  createdAt: z.string(),
  /** The folder on the kernel host. */
  path: z.string(),
  /** Who else may mount it, and how. */
  grants: z.array(z.object({ pid, mode: MountModeSchema })),
  /** Live agents that have it mounted. */
  mounts: z.array(z.object({ pid, mode: MountModeSchema })),
});
export type WorkspaceInfo = z.infer<typeof WorkspaceInfoSchema>;

export const WorkspaceMountSchema = z.object({
  name: WorkspaceNameSchema,
  pid,
  mode: MountModeSchema,
  /** Where the agent sees it. */
  target: z.string(),
  /** Host agents see it from their next terminal or exec on; a container from its creation (spawn). */
  effective: z.enum(['spawn', 'next-exec']),
});
export type WorkspaceMount = z.infer<typeof WorkspaceMountSchema>;

export const workspaceCommands = {
  'workspace.create': command({
    description: 'Create a shared workspace (a folder in the data folder), owned by an agent or by the user.',
    args: z.object({ name: WorkspaceNameSchema, owner: pid.optional() }).strict(),
    result: WorkspaceInfoSchema,
  }),
  'workspace.list': command({
    description: 'Shared workspaces with their owner, grants and the live agents that mount them.',
    args: z.object({}).strict(),
    result: z.object({ workspaces: z.array(WorkspaceInfoSchema) }),
  }),
  'workspace.delete': command({
    description: 'Delete a workspace and its files; E_CONFLICT while a live agent mounts it unless forced.',
    args: z.object({ name: WorkspaceNameSchema, force: z.boolean().default(false) }).strict(),
    result: z.object({ name: WorkspaceNameSchema }),
  }),
  'workspace.grant': command({
    description: 'Let an agent mount a workspace read-only (ro) or read-write (rw).',
    args: z.object({ name: WorkspaceNameSchema, pid, mode: MountModeSchema }).strict(),
    result: WorkspaceInfoSchema,
  }),
  'workspace.mount': command({
    description:
      'Mount a workspace into an agent at ~/shared/<name> (a bind mount, never a symlink). Allowed for its ' +
      'owner and for agents granted that mode. Host agents get it in their next terminal and exec; a ' +
      'container agent only at spawn (process.spawn workspaces), since a running container cannot gain mounts.',
    args: z.object({ name: WorkspaceNameSchema, pid, mode: MountModeSchema.default('rw') }).strict(),
    result: WorkspaceMountSchema,
  }),
};

export const workspaceEvents = {
  'workspace.created': event({ description: 'A workspace was created.', payload: WorkspaceInfoSchema }),
  'workspace.deleted': event({
    description: 'A workspace was deleted.',
    payload: z.object({ name: WorkspaceNameSchema }),
  }),
  'workspace.mounted': event({
    description: 'A workspace was mounted into an agent.',
    payload: WorkspaceMountSchema,
  }),
};
