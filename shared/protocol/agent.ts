import { z } from 'zod';
import { command, event } from './define.js';
import { AgentPhaseSchema, AgentProviderSchema, PidSchema } from './process.js';

/** The most characters of an agent's memory (notes placed in its system prompt). */
export const AGENT_MEMORY_MAX_CHARS = 8000;

const ProviderErrorSchema = z.object({
  kind: z.enum([
    'rate_limit',
    'server',
    'network',
    'timeout',
    'auth',
    'not_found',
    'bad_request',
    'bad_response',
    'aborted',
    'unavailable',
  ]),
  message: z.string(),
  provider: z.string(),
  status: z.number().int().optional(),
  retryable: z.boolean(),
});

/** The model an agent gets when its spawn names none, per provider (the offline planner has none). */
export const DEFAULT_MODELS = { gemini: 'gemini-2.5-flash', ollama: 'llama3.2' } as const;

/** Whether two Ollama model names are the same model: a name without a tag is `:latest` (`llama3.2`). */
export function sameModelName(a: unknown, b: string): boolean {
  const tagged = (name: string) => (name.includes(':') ? name : `${name}:latest`);
  return typeof a === 'string' && tagged(a) === tagged(b);
}

/** Whether a model provider can drive agents now, and why not: for Settings, the deploy dialog and `habitat providers`. */
export const ProviderStatusSchema = z.object({
  name: AgentProviderSchema,
  label: z.string(),
  ready: z.boolean(),
  /** What was found, or what to do about it, in a sentence. */
  detail: z.string(),
  /** The model an agent gets when its spawn names none (null for the offline planner). */
  defaultModel: z.string().nullable(),
  /** Models known to be there (a local server's installed ones); empty where they cannot be listed offline. */
  models: z.array(z.string()),
  /** Whether the default model is there already (a local server's); null where that cannot be told. */
  defaultModelInstalled: z.boolean().nullable(),
  /** Where the provider is reached (a local server's URL, or a custom API base URL); null for the default. */
  endpoint: z.string().nullable(),
  /** Where its API key comes from; null where it needs none or has none. */
  keyFrom: z.enum(['settings', 'environment']).nullable(),
  /**
   * Where `endpoint` comes from, for a provider whose address can be set (Ollama's server): the host's settings
   * (agent.setProviderSettings), its environment (OLLAMA_HOST) or the default.
   */
  endpointFrom: z.enum(['settings', 'environment', 'default']).optional(),
});
export type ProviderStatus = z.infer<typeof ProviderStatusSchema>;

const NOT_A_SERVER_URL = 'must be an http:// or https:// URL, such as http://127.0.0.1:11434';

/**
 * What is wrong with an Ollama server's address, or undefined: it must spell out http:// or https:// (the client
 * takes anything else for a host name), and hold no white space, user name, password, query or fragment (which
 * the client would drop, or which fetch refuses).
 */
export function ollamaHostProblem(value: string): string | undefined {
  if (!/^https?:\/\/[^/]/i.test(value) || /\s/.test(value)) return NOT_A_SERVER_URL;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return NOT_A_SERVER_URL;
  }
  if (url.hostname === '') return NOT_A_SERVER_URL;
  if (url.username || url.password) return 'must not hold a user name or password: Ollama takes none';
  if (value.includes('?') || value.includes('#')) return 'must not hold a query or a fragment';
  return undefined;
}

/** An Ollama server's address (see ollamaHostProblem). */
export const OllamaHostSchema = z
  .string()
  .max(2048, 'is too long: at most 2,048 characters')
  .superRefine((value, ctx) => {
    const problem = ollamaHostProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const AgentRunResultSchema = z.object({
  /** completed (the goal is done), failed (gave up, errors, budgets), terminated (TERM), killed (KILL). */
  outcome: z.enum(['completed', 'failed', 'terminated', 'killed']),
  reason: z.string(),
  /** The agent's own summary, when it called complete. */
  summary: z.string().optional(),
  steps: z.number().int().nonnegative(),
  tokens: z.object({ input: z.number().nonnegative(), output: z.number().nonnegative() }),
  durationMs: z.number().nonnegative(),
});
export type AgentRunResult = z.infer<typeof AgentRunResultSchema>;

const base = {
  pid: PidSchema,
  /** Its entry in the agent's log (process.logs); absent for thought.delta, which is not logged (thought is). */
  seq: z.number().int().optional(),
  /** Wall-clock milliseconds. */
  at: z.number(),
  /** The model turn, 1-based (0 before the first). */
  step: z.number().int().nonnegative(),
};
const kind = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.object({ ...base, type: z.literal(type), ...shape });

/** What an agent's run reports as it goes: the runtime's AgentEvent, with the agent's PID. */
export const AgentEventSchema = z.discriminatedUnion('type', [
  kind('phase', { phase: AgentPhaseSchema }),
  /** Thought text as it streams, batched (a few per second at most). */
  kind('thought.delta', { text: z.string() }),
  kind('thought', { text: z.string() }),
  kind('tool.call', { callId: z.string(), tool: z.string(), args: z.unknown() }),
  kind('tool.result', {
    callId: z.string(),
    tool: z.string(),
    ok: z.boolean(),
    /** What the model read, clipped. */
    output: z.string(),
    data: z.unknown().optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    durationMs: z.number().nonnegative(),
  }),
  kind('approval.requested', {
    requestId: z.string(),
    callId: z.string(),
    tool: z.string(),
    args: z.unknown(),
    reasons: z.array(z.string()),
    /** The agent asks a person this (ask_human): agent.answer answers it. */
    question: z.string().optional(),
    expiresAt: z.number(),
  }),
  kind('approval.resolved', {
    requestId: z.string(),
    callId: z.string(),
    approved: z.boolean(),
    by: z.enum(['person', 'timeout', 'cancelled']),
    reason: z.string(),
    /** A question's answer. */
    answer: z.string().optional(),
  }),
  kind('llm.retry', {
    attempt: z.number().int(),
    delayMs: z.number().nonnegative(),
    error: ProviderErrorSchema,
  }),
  kind('llm.error', { error: ProviderErrorSchema }),
  kind('usage', {
    inputTokens: z.number().nonnegative(),
    outputTokens: z.number().nonnegative(),
    totalInput: z.number().nonnegative(),
    totalOutput: z.number().nonnegative(),
  }),
  kind('memory', { notes: z.string() }),
  kind('warning', { message: z.string() }),
  /** The provider gets the model ready before the first turn (Ollama pulls one the server lacks). */
  kind('model.pull', {
    model: z.string(),
    status: z.string(),
    message: z.string(),
    percent: z.number().min(0).max(100).optional(),
    completed: z.number().nonnegative().optional(),
    total: z.number().nonnegative().optional(),
  }),
  kind('end', AgentRunResultSchema.shape),
]);
export type AgentEvent = z.infer<typeof AgentEventSchema>;
export type AgentEventType = AgentEvent['type'];

/** An action waiting for a person (or, in an agent.approval event, one that no longer waits). */
export const ApprovalRequestSchema = z.object({
  id: z.string(),
  pid: PidSchema,
  tool: z.string(),
  args: z.unknown(),
  /** Why it waits: what looked dangerous, or the policy. */
  reasons: z.array(z.string()),
  /** Set when the agent asks a person a question (ask_human) instead of leave to act: agent.answer answers it. */
  question: z.string().optional(),
  requestedAt: z.number(),
  /** When it is denied if nobody decides. */
  expiresAt: z.number(),
});
export type ApprovalRequest = z.infer<typeof ApprovalRequestSchema>;

const ApprovalDecisionSchema = z.object({
  approved: z.boolean(),
  by: z.enum(['person', 'timeout', 'cancelled']),
  reason: z.string(),
  /** A question's answer. */
  answer: z.string().optional(),
});

/** The most characters of a person's answer to an agent's question. */
export const AGENT_ANSWER_MAX_CHARS = 10_000;

const ImageSchema = z.object({ mimeType: z.literal('image/png'), data: z.string().describe('base64') });
const ToolCallSchema = z.object({
  id: z.string(),
  name: z.string(),
  args: z.unknown(),
  signature: z.string().optional(),
});

/** One message between an agent and its model, as stored (images as base64). */
export const ConversationMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('user'), content: z.string(), images: z.array(ImageSchema).optional() }),
  z.object({
    role: z.literal('assistant'),
    content: z.string(),
    toolCalls: z.array(ToolCallSchema).optional(),
    signature: z.string().optional(),
  }),
  z.object({
    role: z.literal('tool'),
    callId: z.string(),
    name: z.string(),
    content: z.string(),
    isError: z.boolean().optional(),
    images: z.array(ImageSchema).optional(),
  }),
]);
export type ConversationMessage = z.infer<typeof ConversationMessageSchema>;

const decisionArgs = z
  .object({
    pid: PidSchema,
    /** The request's id; without it, the agent's open request (it has at most one). */
    id: z.string().min(1).max(64).optional(),
    /** Why, in words the agent's model will read. */
    reason: z.string().max(2000).optional(),
  })
  .strict();

export const agentCommands = {
  'agent.approve': command({
    description: "Let an agent's waiting action run. Answers the request that was approved.",
    args: decisionArgs,
    result: ApprovalRequestSchema,
  }),
  'agent.deny': command({
    description: "Refuse an agent's waiting action: the agent sees the refusal and the reason.",
    args: decisionArgs,
    result: ApprovalRequestSchema,
  }),
  'agent.answer': command({
    description:
      'Answer the question an agent asked a person (ask_human): the agent reads the text and goes on. Answers ' +
      'the request that was answered.',
    args: z
      .object({
        pid: PidSchema,
        /** The request's id; without it, the agent's open question. */
        id: z.string().min(1).max(64).optional(),
        text: z.string().min(1).max(AGENT_ANSWER_MAX_CHARS),
      })
      .strict(),
    result: ApprovalRequestSchema,
  }),
  'agent.approvals': command({
    description: 'Actions (and questions) waiting for a person, of one agent or of all.',
    args: z.object({ pid: PidSchema.optional() }).strict(),
    result: z.object({ approvals: z.array(ApprovalRequestSchema) }),
  }),
  'agent.providers': command({
    description:
      'The model providers and whether each can drive an agent now: a key where one is needed, a local server that answers (and its models).',
    args: z.object({}).strict(),
    result: z.object({ providers: z.array(ProviderStatusSchema) }),
  }),
  'agent.setProviderSettings': command({
    description:
      "Change how the model providers are reached, kept in the data folder: agents started or resumed from now on use it, and the change is recorded in the event log. `ollamaHost`: the Ollama server's URL (http or https, a host, a port and a path; no user name, password, query or fragment), or null for the default again (OLLAMA_HOST, else http://127.0.0.1:11434). Answers with the providers' statuses under the new settings.",
    args: z.object({ ollamaHost: OllamaHostSchema.nullable().optional() }).strict(),
    result: z.object({ providers: z.array(ProviderStatusSchema) }),
  }),
  'agent.pullModel': command({
    description:
      'Pull a model onto the local Ollama server (its default model unless named), with progress on agent.pullProgress; resolves once it is there. Agents pull what they lack by themselves: this is for doing it ahead.',
    args: z.object({ model: z.string().min(1).max(200).optional() }).strict(),
    result: z.object({ model: z.string() }),
  }),
  'agent.getMemory': command({
    description: "An agent's memory: the notes placed in its system prompt (notes/MEMORY.md in its home).",
    args: z.object({ pid: PidSchema }).strict(),
    result: z.object({ notes: z.string() }),
  }),
  'agent.setMemory': command({
    description: "Replace an agent's memory; a running agent sees it from its next model turn.",
    args: z.object({ pid: PidSchema, notes: z.string().max(AGENT_MEMORY_MAX_CHARS) }).strict(),
    result: z.object({ notes: z.string() }),
  }),
  'agent.conversation': command({
    description: "An agent's conversation with its model, a page at a time, oldest first.",
    args: z
      .object({
        pid: PidSchema,
        /** The seq of the first message (0 for the start). */
        offset: z.number().int().nonnegative().default(0),
        limit: z.number().int().min(1).max(500).default(100),
      })
      .strict(),
    result: z.object({
      /** Messages in the whole conversation. */
      total: z.number().int().nonnegative(),
      messages: z.array(
        z.object({ seq: z.number().int().nonnegative(), at: z.number(), message: ConversationMessageSchema }),
      ),
    }),
  }),
};

export const agentEvents = {
  'agent.pullProgress': event({
    description:
      'Progress of a model pull (agent.pullModel): what the server is doing and a percent where it says.',
    payload: z.object({
      model: z.string(),
      status: z.string(),
      percent: z.number().min(0).max(100).optional(),
    }),
    // a slow reader keeps the latest line per model rather than losing the last one
    coalesceBy: 'model',
  }),
  'agent.event': event({
    description:
      "One event of an agent's run (phase, thoughts, tool calls and results...); on agent.event.<pid>.",
    payload: AgentEventSchema,
  }),
  'agent.approval': event({
    description:
      'An action started or stopped waiting for a person. Slow consumers get the latest per agent.',
    payload: z.object({
      pid: PidSchema,
      change: z.enum(['requested', 'resolved']),
      request: ApprovalRequestSchema,
      decision: ApprovalDecisionSchema.optional(),
    }),
    coalesceBy: 'pid',
  }),
};
