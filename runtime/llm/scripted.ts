import { abortableSleep } from './retry.js';
import { ProviderError } from './errors.js';
import { mintCallId } from './ids.js';
import type { ChatMessage, ChatRequest, ChatResponse, Provider, ToolCall } from './types.js';

export interface ScriptedReply {
  text?: string;
  toolCalls?: (Omit<ToolCall, 'id'> & { id?: string })[];
  usage?: ChatResponse['usage'];
  finishReason?: string;
  /** Thrown instead of answering. */
  error?: Error;
}

export type ScriptedTurn =
  ScriptedReply | ((request: ChatRequest, turn: number) => ScriptedReply | Promise<ScriptedReply>);

/**
 * A provider that replays a script: for loop tests and benchmarks, where model time must be zero or exactly known.
 * It records what it was asked (messages copied at the time of the call).
 */
export class ScriptedProvider implements Provider {
  readonly name: string;
  readonly model = 'script';
  readonly supportsImages = true;
  readonly requests: { system: string; messages: ChatMessage[]; tools: string[] }[] = [];
  private turn = 0;

  constructor(
    private readonly script:
      ScriptedTurn[] | ((request: ChatRequest, turn: number) => ScriptedReply | Promise<ScriptedReply>),
    private readonly options: { name?: string; delayMs?: number } = {},
  ) {
    this.name = options.name ?? 'scripted';
  }

  async chat(request: ChatRequest): Promise<ChatResponse> {
    const turn = this.turn++;
    this.requests.push({
      system: request.system,
      messages: [...request.messages],
      tools: request.tools.map((t) => t.name),
    });
    try {
      if (this.options.delayMs) await abortableSleep(this.options.delayMs, request.signal);
    } catch {
      throw new ProviderError('aborted', 'the request was cancelled', this.name);
    }
    const entry = typeof this.script === 'function' ? this.script : this.script[turn];
    if (!entry) throw new ProviderError('bad_request', `the script has no turn ${turn + 1}`, this.name);
    const reply = typeof entry === 'function' ? await entry(request, turn) : entry;
    if (request.signal?.aborted) throw new ProviderError('aborted', 'the request was cancelled', this.name);
    if (reply.error) throw reply.error;
    const text = reply.text ?? '';
    if (text) request.onText?.(text);
    return {
      text,
      toolCalls: (reply.toolCalls ?? []).map((c) => ({ ...c, id: c.id ?? mintCallId() })),
      usage: reply.usage ?? { inputTokens: 0, outputTokens: 0 },
      ...(reply.finishReason ? { finishReason: reply.finishReason } : {}),
    };
  }
}
