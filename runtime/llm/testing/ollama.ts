import type { ScriptedHttpReply } from './ScriptedServer.js';

/** Ollama's wire format for the provider tests: NDJSON streams from /api/chat and /api/pull. */

export interface OllamaChunk {
  model: string;
  created_at: string;
  message: {
    role: 'assistant';
    content: string;
    thinking?: string;
    tool_calls?: { function: { name: string; arguments: unknown } }[];
  };
  done: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
}

const AT = '2026-01-01T00:00:00Z';

export function ollamaText(text: string, model = 'llama3.2'): OllamaChunk {
  return { model, created_at: AT, message: { role: 'assistant', content: text }, done: false };
}

export function ollamaCalls(calls: { name: string; arguments: unknown }[], model = 'llama3.2'): OllamaChunk {
  return {
    model,
    created_at: AT,
    message: { role: 'assistant', content: '', tool_calls: calls.map((c) => ({ function: c })) },
    done: false,
  };
}

export function ollamaDone(prompt = 12, output = 6, model = 'llama3.2'): OllamaChunk {
  return {
    model,
    created_at: AT,
    message: { role: 'assistant', content: '' },
    done: true,
    done_reason: 'stop',
    prompt_eval_count: prompt,
    eval_count: output,
  };
}

export function ndjson(lines: unknown[], chunkDelayMs = 5): ScriptedHttpReply {
  return {
    status: 200,
    headers: { 'content-type': 'application/x-ndjson' },
    chunks: lines.map((l) => `${typeof l === 'string' ? l : JSON.stringify(l)}\n`),
    chunkDelayMs,
  };
}

export function ollamaError(
  status: number,
  error: string,
  headers: Record<string, string> = {},
): ScriptedHttpReply {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ error }),
  };
}

/** What `ollama pull` streams: manifest, per-layer download progress, verification, success. */
export function ollamaPullStream(total = 1000, steps = 4): ScriptedHttpReply {
  const lines: unknown[] = [{ status: 'pulling manifest' }];
  for (let i = 1; i <= steps; i++) {
    lines.push({
      status: 'pulling 6a0746a1ec1a',
      digest: 'sha256:6a0746a1ec1a',
      total,
      completed: Math.round((total * i) / steps),
    });
  }
  lines.push({ status: 'verifying sha256 digest' }, { status: 'writing manifest' }, { status: 'success' });
  return ndjson(lines);
}

/** What /api/tags answers: the models the server has. */
export function ollamaTags(...names: string[]): ScriptedHttpReply {
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ models: names.map((name) => ({ name, model: name, size: 1 })) }),
  };
}
