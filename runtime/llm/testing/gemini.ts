import type { ScriptedHttpReply } from './ScriptedServer.js';

/** Gemini's wire format for the provider tests (POST /v1beta/models/{model}:streamGenerateContent?alt=sse). */

export type GeminiPart =
  | { text: string; thought?: boolean; thoughtSignature?: string }
  | { functionCall: { name: string; args: unknown; id?: string }; thoughtSignature?: string };

export interface GeminiChunk {
  candidates?: { content: { role: 'model'; parts: GeminiPart[] }; finishReason?: string; index?: number }[];
  usageMetadata?: { promptTokenCount: number; candidatesTokenCount: number; totalTokenCount: number };
  promptFeedback?: { blockReason: string; blockReasonMessage?: string };
}

export const GEMINI_STREAM_PATH = /^\/v1beta\/models\/[^/:]+:streamGenerateContent\?alt=sse/;

export function geminiText(text: string): GeminiChunk {
  return { candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0 }] };
}

export function geminiCall(
  name: string,
  args: unknown,
  extra: { thoughtSignature?: string } = {},
): GeminiChunk {
  return {
    candidates: [
      { content: { role: 'model', parts: [{ functionCall: { name, args }, ...extra }] }, index: 0 },
    ],
  };
}

/** The last chunk of a turn: finish reason and token counts. */
export function geminiDone(prompt = 10, output = 5, finishReason = 'STOP'): GeminiChunk {
  return {
    candidates: [{ content: { role: 'model', parts: [] }, finishReason, index: 0 }],
    usageMetadata: {
      promptTokenCount: prompt,
      candidatesTokenCount: output,
      totalTokenCount: prompt + output,
    },
  };
}

/** What Gemini streams for a prompt it blocks: no candidates, the reason in promptFeedback, and the prompt's tokens. */
export function geminiPromptBlocked(blockReason = 'SAFETY', blockReasonMessage?: string): GeminiChunk {
  return {
    promptFeedback: { blockReason, ...(blockReasonMessage ? { blockReasonMessage } : {}) },
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 0, totalTokenCount: 10 },
  };
}

/** A streamed answer: one SSE event per chunk, as Google sends them. */
export function geminiStream(chunks: GeminiChunk[], chunkDelayMs = 5): ScriptedHttpReply {
  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream' },
    chunks: chunks.map((c) => `data: ${JSON.stringify(c)}\r\n\r\n`),
    chunkDelayMs,
  };
}

/** Google's error envelope; with retryDelay, the RetryInfo detail a 429 carries. */
export function geminiError(
  status: number,
  message: string,
  options: { retryAfter?: string; retryDelay?: string } = {},
): ScriptedHttpReply {
  const statusName: Record<number, string> = {
    400: 'INVALID_ARGUMENT',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    429: 'RESOURCE_EXHAUSTED',
    500: 'INTERNAL',
    503: 'UNAVAILABLE',
  };
  return {
    status,
    headers: {
      'content-type': 'application/json',
      ...(options.retryAfter ? { 'retry-after': options.retryAfter } : {}),
    },
    body: JSON.stringify({
      error: {
        code: status,
        message,
        status: statusName[status] ?? 'UNKNOWN',
        ...(options.retryDelay
          ? {
              details: [
                { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: options.retryDelay },
              ],
            }
          : {}),
      },
    }),
  };
}
