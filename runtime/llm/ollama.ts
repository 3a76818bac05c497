import { Ollama, type Message, type Tool } from 'ollama';
import { DEFAULT_MODELS, sameModelName as sameModel } from '../../shared/protocol/index.js';
import { Attempt } from './attempt.js';
import { mintCallId } from './ids.js';
import { chatWithRetries, type RetryOptions } from './retry.js';
import {
  DEFAULT_MAX_OUTPUT_TOKENS,
  MAX_ANSWER_CHARS,
  type ChatMessage,
  type ChatRequest,
  type ChatResponse,
  type ModelProgress,
  type Provider,
} from './types.js';

export const OLLAMA_DEFAULT_HOST = 'http://127.0.0.1:11434';
export const OLLAMA_DEFAULT_MODEL = DEFAULT_MODELS.ollama;

export interface OllamaOptions {
  host?: string;
  model?: string;
  retry?: RetryOptions;
  /** Longest silence from the server before an attempt is abandoned. Default 300 s: local models load slowly. */
  idleTimeoutMs?: number;
  temperature?: number;
  /** Whether the model may take images (a vision model such as llava or qwen2.5vl). */
  vision?: boolean;
  /** Output tokens asked for at most per turn (num_predict). Default DEFAULT_MAX_OUTPUT_TOKENS. */
  maxOutputTokens?: number;
  /** Characters of one answer gathered at most: past it the turn fails. Default MAX_ANSWER_CHARS. */
  maxAnswerChars?: number;
}

export interface PullProgress extends ModelProgress {
  digest?: string;
}

/** A local model through the `ollama` client: /api/chat with tools and stream:true; /api/pull with progress. */
export class OllamaProvider implements Provider {
  readonly name = 'ollama';
  readonly model: string;
  readonly supportsImages: boolean;
  private readonly host: string;

  constructor(private readonly options: OllamaOptions = {}) {
    this.model = options.model ?? OLLAMA_DEFAULT_MODEL;
    this.host = options.host ?? OLLAMA_DEFAULT_HOST;
    this.supportsImages = options.vision ?? false;
  }

  chat(request: ChatRequest): Promise<ChatResponse> {
    return chatWithRetries(request, this.options.retry, (onStreamed) => this.attempt(request, onStreamed));
  }

  /** Downloads the model (or another) with progress; resolves when the server says success. */
  async pull(
    onProgress?: (progress: PullProgress) => void,
    options: { model?: string; signal?: AbortSignal } = {},
  ) {
    const attempt = new Attempt('ollama', options.signal, this.options.idleTimeoutMs ?? 300_000);
    try {
      const client = new Ollama({ host: this.host, fetch: attempt.fetch });
      const stream = await client.pull({ model: options.model ?? this.model, stream: true });
      for await (const part of stream) {
        attempt.touch();
        const progress: PullProgress = { status: part.status };
        if (part.digest) progress.digest = part.digest;
        if (part.total) {
          progress.total = part.total;
          progress.completed = part.completed ?? 0;
          progress.percent = Math.floor((100 * progress.completed) / part.total);
        }
        onProgress?.(progress);
      }
    } catch (error) {
      throw attempt.classify(error, statusOf);
    } finally {
      attempt.dispose();
    }
  }

  /** Pulls the model first if the server lacks it: an agent on a new model just works, with progress shown. */
  async prepare(onProgress: (progress: ModelProgress) => void, signal?: AbortSignal): Promise<void> {
    if (await this.hasModel(signal ? { signal } : {})) return;
    await this.pull(onProgress, signal ? { signal } : {});
  }

  /** Whether the server has the model already (so a UI can offer to pull it). */
  async hasModel(options: { signal?: AbortSignal } = {}): Promise<boolean> {
    return (await this.installed(options)).some(
      (m) => sameModel(m.name, this.model) || sameModel(m.model, this.model),
    );
  }

  /** The models the server has installed, by name (`llama3.2:latest`); a ProviderError if it does not answer. */
  async listModels(options: { signal?: AbortSignal; idleTimeoutMs?: number } = {}): Promise<string[]> {
    // a server's list is not ours to trust: an entry without a name is left out rather than fail the whole list
    return (await this.installed(options)).flatMap((m) => {
      const name = typeof m.name === 'string' && m.name ? m.name : m.model;
      return typeof name === 'string' && name ? [name] : [];
    });
  }

  private async installed(options: { signal?: AbortSignal; idleTimeoutMs?: number }) {
    const idle = options.idleTimeoutMs ?? this.options.idleTimeoutMs ?? 30_000;
    const attempt = new Attempt('ollama', options.signal, idle);
    try {
      const { models } = await new Ollama({ host: this.host, fetch: attempt.fetch }).list();
      return Array.isArray(models) ? models : [];
    } catch (error) {
      throw attempt.classify(error, statusOf);
    } finally {
      attempt.dispose();
    }
  }

  private async attempt(request: ChatRequest, onStreamed: () => void): Promise<ChatResponse> {
    const attempt = new Attempt('ollama', request.signal, this.options.idleTimeoutMs ?? 300_000);
    const result: ChatResponse = { text: '', toolCalls: [], usage: { inputTokens: 0, outputTokens: 0 } };
    try {
      const client = new Ollama({ host: this.host, fetch: attempt.fetch });
      const stream = await client.chat({
        model: this.model,
        messages: toMessages(request.system, request.messages, this.supportsImages),
        tools: request.tools.map((t): Tool => ({
          type: 'function',
          function: {
            name: t.name,
            description: t.description,
            parameters: t.parameters as Tool['function']['parameters'],
          },
        })),
        stream: true,
        options: {
          num_predict: this.options.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
          ...(this.options.temperature === undefined ? {} : { temperature: this.options.temperature }),
        },
      });
      const maxChars = this.options.maxAnswerChars ?? MAX_ANSWER_CHARS;
      for await (const part of stream) {
        attempt.touch();
        const delta = (part.message?.thinking ?? '') + (part.message?.content ?? '');
        const calls = part.message?.tool_calls ?? [];
        attempt.gather(
          delta.length + calls.reduce((n, call) => n + argsChars(call.function?.arguments), 0),
          maxChars,
        );
        if (delta) {
          result.text += delta;
          onStreamed();
          request.onText?.(delta);
        }
        for (const call of calls) {
          result.toolCalls.push({
            id: mintCallId(),
            name: call.function?.name ?? '',
            args: parseArgs(call.function?.arguments),
          });
        }
        if (part.done) {
          result.finishReason = part.done_reason;
          result.usage = { inputTokens: part.prompt_eval_count ?? 0, outputTokens: part.eval_count ?? 0 };
        }
      }
      return result;
    } catch (error) {
      throw attempt.classify(error, statusOf);
    } finally {
      attempt.dispose();
    }
  }
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status_code?: unknown } | null)?.status_code;
  return typeof status === 'number' ? status : undefined;
}

/** Characters of a call's arguments, as sent. */
function argsChars(args: unknown): number {
  if (args === undefined || args === null) return 0;
  return typeof args === 'string' ? args.length : JSON.stringify(args).length;
}

/** Some servers send arguments as a JSON string; what does not parse stays a string for the loop to refuse. */
function parseArgs(args: unknown): unknown {
  if (typeof args !== 'string') return args ?? {};
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}

export function toMessages(system: string, messages: readonly ChatMessage[], images: boolean): Message[] {
  const out: Message[] = system ? [{ role: 'system', content: system }] : [];
  const encode = (list: ChatMessage & { images?: { data: Uint8Array }[] }) =>
    list.images?.length && images
      ? {
          images: list.images.map((img) =>
            Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength).toString('base64'),
          ),
        }
      : {};
  const omitted = (list: { images?: unknown[] }) =>
    list.images?.length && !images
      ? `\n[${list.images.length} image(s) omitted: this model does not take images]`
      : '';
  for (const m of messages) {
    if (m.role === 'user') out.push({ role: 'user', content: m.content + omitted(m), ...encode(m) });
    else if (m.role === 'assistant') {
      out.push({
        role: 'assistant',
        content: m.content,
        ...(m.toolCalls?.length
          ? {
              tool_calls: m.toolCalls.map((c) => ({
                function: { name: c.name, arguments: asRecord(c.args) },
              })),
            }
          : {}),
      });
    } else {
      out.push({
        role: 'tool',
        tool_name: m.name,
        content: (m.isError ? `Error: ${m.content}` : m.content) + omitted(m),
        ...encode(m),
      });
    }
  }
  return out;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
