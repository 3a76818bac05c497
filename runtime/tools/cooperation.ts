import { z } from 'zod';
import { WorkspaceNameSchema } from '../../shared/protocol/index.js';
import { defineTool, type ToolContext } from './types.js';

/** What agents use to work together: who else is there, their mailboxes and shared workspaces (the kernel's). */
export interface Cooperation {
  agents(): { pid: number; name: string; role: string | null; state: string; phase: string }[];
  send(to: number, body: string, subject?: string): { id: number };
  broadcast(body: string, subject?: string): { delivered: number };
  check(options: { all: boolean; limit: number }): {
    messages: { id: number; from: number | null; subject: string | null; body: string; sentAt: string }[];
    unread: number;
  };
  ack(ids: number[]): { acknowledged: number; unread: number };
  createWorkspace(name: string): Promise<{ name: string }>;
  workspaces(): { name: string; owner: number | null }[];
  mountWorkspace(name: string, mode: 'ro' | 'rw'): Promise<{ path: string }>;
}

function cooperation(ctx: ToolContext): Cooperation {
  if (!ctx.host.cooperation) throw new Error('this agent cannot reach other agents');
  return ctx.host.cooperation;
}

const workspaceName = WorkspaceNameSchema.describe('The workspace name');

export const listAgents = defineTool({
  name: 'list_agents',
  description: 'The other agents on this machine: their PID, name, role, state and phase.',
  parameters: z.object({}),
  harmless: true,
  handler: (_args, ctx) => {
    const agents = cooperation(ctx)
      .agents()
      .filter((a) => a.pid !== ctx.host.pid);
    return {
      content: agents.length
        ? agents
            .map((a) => `${a.pid} ${a.name}${a.role ? ` (${a.role})` : ''}: ${a.state}, ${a.phase}`)
            .join('\n')
        : 'no other agents',
      data: agents,
    };
  },
});

export const sendMessage = defineTool({
  name: 'send_message',
  description: "Send a message to another agent's mailbox by PID, or to every agent with to: 'all'.",
  parameters: z.object({
    to: z.union([z.number().int().positive(), z.literal('all')]),
    body: z.string().min(1).max(60_000),
    subject: z.string().max(200).optional(),
  }),
  harmless: true,
  handler: (args, ctx) => {
    const mail = cooperation(ctx);
    if (args.to === 'all') {
      const { delivered } = mail.broadcast(args.body, args.subject);
      return `sent to ${delivered} agents`;
    }
    const { id } = mail.send(args.to, args.body, args.subject);
    return `sent (message ${id})`;
  },
});

export const checkMessages = defineTool({
  name: 'check_messages',
  description:
    'Read your mailbox: unread messages (or all with all: true), oldest first. Acknowledge what you handled.',
  parameters: z.object({
    all: z.boolean().optional(),
    acknowledge: z.boolean().optional().describe('Mark the messages returned as read (default true)'),
  }),
  harmless: true,
  handler: (args, ctx) => {
    const mail = cooperation(ctx);
    const { messages, unread } = mail.check({ all: args.all ?? false, limit: 20 });
    if (args.acknowledge !== false && messages.length > 0) mail.ack(messages.map((m) => m.id));
    return {
      content: messages.length
        ? messages
            .map(
              (m) => `#${m.id} from ${m.from ?? 'a person'}${m.subject ? ` [${m.subject}]` : ''}: ${m.body}`,
            )
            .join('\n')
        : `no ${args.all ? '' : 'unread '}messages`,
      data: { messages, unread },
    };
  },
});

export const createSharedWorkspace = defineTool({
  name: 'create_shared_workspace',
  description:
    'Create a shared folder other agents can be given; you own it and can mount it at ~/shared/<name>.',
  parameters: z.object({ name: workspaceName }),
  handler: async (args, ctx) =>
    `created workspace ${(await cooperation(ctx).createWorkspace(args.name)).name}`,
});

export const listWorkspaces = defineTool({
  name: 'list_workspaces',
  description: 'The shared workspaces on this machine and who owns them.',
  parameters: z.object({}),
  harmless: true,
  handler: (_args, ctx) => {
    const all = cooperation(ctx).workspaces();
    return {
      content: all.length ? all.map((w) => `${w.name} (owner ${w.owner ?? 'a person'})`).join('\n') : 'none',
      data: all,
    };
  },
});

export const mountWorkspace = defineTool({
  name: 'mount_workspace',
  description:
    'Mount a shared workspace you own or were granted at ~/shared/<name>, read-only (ro) or read-write (rw). ' +
    'It appears in commands you run from now on.',
  parameters: z.object({ name: workspaceName, mode: z.enum(['ro', 'rw']).default('rw') }),
  handler: async (args, ctx) => {
    const { path } = await cooperation(ctx).mountWorkspace(args.name, args.mode);
    return `mounted at ${path}`;
  },
});

export const cooperationTools = [
  listAgents,
  sendMessage,
  checkMessages,
  createSharedWorkspace,
  listWorkspaces,
  mountWorkspace,
];
