import type { Content, GenerateContentResponse, Part } from '@google/genai';
import { DEFAULT_MODELS } from '../../shared/protocol/index.js';
import { Attempt } from './attempt.js';
import { ProviderError } from './errors.js';
import { chatWithRetries, type RetryOptions } from './retry.js';
import { isMintedId, mintCallId } from './ids.js';
import {
  MAX_ANSWER_CHARS,
  type ChatMessage,
  type ChatRequest,
  type ChatResponse,
  type ImagePart,
  type Provider,
  type ToolCall,
} from './types.js';

export const GEMINI_DEFAULT_MODEL = DEFAULT_MODELS.gemini;

export interface GeminiOptions {
  apiKey: string;
  model?: string;
  /** Another endpoint than Google's (a proxy, or a local test server). */
  baseUrl?: string;
  /** Default v1beta, where function calling with JSON Schema parameters and thought signatures live. */
  apiVersion?: string;
  retry?: RetryOptions;
  /** Longest silence from the server before an attempt is abandoned (and retried). Default 120 s. */
  idleTimeoutMs?: number;
  temperature?: number;
  /**
   * Output tokens asked for at most per turn (maxOutputTokens). Default: none sent, so each model uses its own
   * maximum: a fixed one is refused (400) by models whose cap is lower (gemini-2.0-flash takes at most 8,192).
   * maxAnswerChars still ends an answer that never stops.
   */
  maxOutputTokens?: number;
  /** Characters of one answer gathered at most: past it the turn fails. Default MAX_ANSWER_CHARS. */
  maxAnswerChars?: number;
}

/** Gemini through @google/genai: generateContentStream with function declarations, retried with backoff. */
export class GeminiProvider implements Provider {
  readonly name = 'gemini';
  readonly model: string;
  readonly supportsImages = true;

  constructor(private readonly options: GeminiOptions) {
    if (!options.apiKey) throw new ProviderError('auth', 'Gemini needs an API key', 'gemini');
    this.model = options.model ?? GEMINI_DEFAULT_MODEL;
  }

  chat(request: ChatRequest): Promise<ChatResponse> {
    return chatWithRetries(request, this.options.retry, (onStreamed) => this.attempt(request, onStreamed));
  }

  private async attempt(request: ChatRequest, onStreamed: () => void): Promise<ChatResponse> {
    const attempt = new Attempt('gemini', request.signal, this.options.idleTimeoutMs ?? 120_000);
    // loaded on first use: the SDK and its Google auth library take a tenth of a second of every kernel start
    const { GoogleGenAI } = await import('@google/genai');
    const client = new GoogleGenAI({
      apiKey: this.options.apiKey,
      apiVersion: this.options.apiVersion ?? 'v1beta',
      httpOptions: {
        ...(this.options.baseUrl ? { baseUrl: this.options.baseUrl } : {}),
        fetch: attempt.fetch,
      },
    });
    const result: ChatResponse = { text: '', toolCalls: [], usage: { inputTokens: 0, outputTokens: 0 } };
    try {
      const stream = await client.models.generateContentStream({
        model: this.model,
        contents: toContents(request.messages, this.supportsImages),
        config: {
          abortSignal: attempt.signal,
          ...(request.system ? { systemInstruction: request.system } : {}),
          ...(request.tools.length
            ? {
                tools: [
                  {
                    functionDeclarations: request.tools.map((t) => ({
                      name: t.name,
                      description: t.description,
                      parametersJsonSchema: t.parameters,
                    })),
                  },
                ],
              }
            : {}),
          ...(this.options.temperature === undefined ? {} : { temperature: this.options.temperature }),
          ...(this.options.maxOutputTokens === undefined
            ? {}
            : { maxOutputTokens: this.options.maxOutputTokens }),
        },
      });
      const maxChars = this.options.maxAnswerChars ?? MAX_ANSWER_CHARS;
      let refusal: Refusal | undefined;
      for await (const chunk of stream) {
        attempt.touch();
        attempt.gather(answerChars(chunk), maxChars);
        absorb(chunk, result, (delta) => {
          onStreamed();
          request.onText?.(delta);
        });
        refusal = refusalIn(chunk) ?? refusal;
      }
      if (refusal) throw new ProviderError(refusal.kind, refusal.message, 'gemini');
      return result;
    } catch (error) {
      throw attempt.classify(error, statusOf);
    } finally {
      attempt.dispose();
    }
  }
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** Why Gemini stopped a turn without answering: a prompt it blocked, or an answer its filters stopped. */
const BLOCKED_ANSWER = new Set([
  'SAFETY',
  'RECITATION',
  'LANGUAGE',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
]);

interface Refusal {
  kind: 'bad_request' | 'bad_response';
  message: string;
}

/**
 * A blocked prompt (promptFeedback.blockReason: no candidates at all) or a blocked answer (a finish reason of its
 * filters): a failure of the turn that is not retried (the same conversation is blocked again), never an empty answer
 * the loop would take for talk.
 */
function refusalIn(chunk: GenerateContentResponse): Refusal | undefined {
  const blocked = chunk.promptFeedback?.blockReason;
  if (blocked) {
    const why = chunk.promptFeedback?.blockReasonMessage;
    return { kind: 'bad_request', message: `gemini blocked the prompt (${blocked})${why ? `: ${why}` : ''}` };
  }
  const candidate = chunk.candidates?.[0];
  const finish = candidate?.finishReason ? String(candidate.finishReason) : undefined;
  if (finish && BLOCKED_ANSWER.has(finish)) {
    const why = candidate?.finishMessage;
    return { kind: 'bad_response', message: `gemini blocked its answer (${finish})${why ? `: ${why}` : ''}` };
  }
  return undefined;
}

/** Characters a chunk adds to the answer: its text and its function calls' arguments. */
function answerChars(chunk: GenerateContentResponse): number {
  let chars = 0;
  for (const part of chunk.candidates?.[0]?.content?.parts ?? []) {
    if (typeof part.text === 'string') chars += part.text.length;
    if (part.functionCall) chars += JSON.stringify(part.functionCall.args ?? {}).length;
  }
  return chars;
}

/** Folds one streamed chunk into the turn's result. */
function absorb(chunk: GenerateContentResponse, result: ChatResponse, onText: (delta: string) => void): void {
  const candidate = chunk.candidates?.[0];
  for (const part of candidate?.content?.parts ?? []) {
    if (part.functionCall) {
      const call: ToolCall = {
        id: part.functionCall.id || mintCallId(),
        name: part.functionCall.name ?? '',
        args: part.functionCall.args ?? {},
      };
      if (part.thoughtSignature) call.signature = part.thoughtSignature;
      result.toolCalls.push(call);
    } else if (typeof part.text === 'string' && part.text) {
      result.text += part.text;
      onText(part.text);
      if (part.thoughtSignature) result.signature = part.thoughtSignature;
    } else if (part.thoughtSignature) {
      result.signature = part.thoughtSignature;
    }
  }
  if (candidate?.finishReason) result.finishReason = String(candidate.finishReason);
  else if (chunk.promptFeedback?.blockReason) result.finishReason = String(chunk.promptFeedback.blockReason);
  const usage = chunk.usageMetadata;
  if (usage) {
    result.usage = {
      inputTokens: usage.promptTokenCount ?? 0,
      outputTokens: (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0),
    };
  }
}

/** The conversation as Gemini contents: roles user/model, tool results as functionResponse parts of a user turn. */
export function toContents(messages: readonly ChatMessage[], images: boolean): Content[] {
  const contents: Content[] = [];
  const push = (role: 'user' | 'model', parts: Part[]) => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role) last.parts!.push(...parts);
    else contents.push({ role, parts });
  };
  const imageParts = (list: readonly ImagePart[] | undefined): Part[] =>
    !list?.length
      ? []
      : images
        ? list.map((img) => ({ inlineData: { mimeType: img.mimeType, data: base64(img.data) } }))
        : [{ text: `[${list.length} image(s) omitted: this model does not take images]` }];
  for (const message of messages) {
    if (message.role === 'user') {
      push('user', [...(message.content ? [{ text: message.content }] : []), ...imageParts(message.images)]);
    } else if (message.role === 'assistant') {
      const parts: Part[] = [];
      if (message.content) {
        parts.push({
          text: message.content,
          ...(message.signature ? { thoughtSignature: message.signature } : {}),
        });
      }
      for (const call of message.toolCalls ?? []) {
        parts.push({
          functionCall: {
            name: call.name,
            args: asRecord(call.args),
            ...(isMintedId(call.id) ? {} : { id: call.id }),
          },
          ...(call.signature ? { thoughtSignature: call.signature } : {}),
        });
      }
      push('model', parts);
    } else {
      push('user', [
        {
          functionResponse: {
            name: message.name,
            response: message.isError ? { error: message.content } : { output: message.content },
            ...(isMintedId(message.callId) ? {} : { id: message.callId }),
          },
        },
        ...imageParts(message.images),
      ]);
    }
  }
  return contents;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
