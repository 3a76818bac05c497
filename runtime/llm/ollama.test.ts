import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { OllamaProvider, type PullProgress } from './ollama.js';
import { toolJsonSchema } from './schema.js';
import {
  DEFAULT_MAX_OUTPUT_TOKENS,
  MAX_ANSWER_CHARS,
  type ChatMessage,
  type ProviderEvent,
} from './types.js';
import {
  ndjson,
  ollamaCalls,
  ollamaDone,
  ollamaError,
  ollamaPullStream,
  ollamaText,
  ScriptedServer,
} from './testing/index.js';

/** The real `ollama` client against a local server that speaks Ollama's NDJSON wire format. */
describe('OllamaProvider', () => {
  let server: ScriptedServer;
  const sleeps: number[] = [];
  const provider = (options: Partial<ConstructorParameters<typeof OllamaProvider>[0]> = {}) =>
    new OllamaProvider({
      host: server.url,
      model: 'llama3.2',
      retry: { attempts: 3, random: () => 0.5, sleep: async (ms) => void sleeps.push(ms) },
      ...options,
    });
  const tools = [
    {
      name: 'run_command',
      description: 'Run a command',
      parameters: toolJsonSchema(z.object({ command: z.string() })),
    },
  ];
  const goal: ChatMessage[] = [{ role: 'user', content: 'list the files' }];

  beforeEach(async () => {
    server = await ScriptedServer.start();
    sleeps.length = 0;
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await server.close();
  });

  it('streams text and thinking, returns tool calls and usage, and posts a streaming chat with tools', async () => {
    server.on(
      '/api/chat',
      ndjson([
        { ...ollamaText(''), message: { role: 'assistant', content: '', thinking: 'Hmm. ' } },
        ollamaText('I will '),
        ollamaText('run ls.'),
        ollamaCalls([{ name: 'run_command', arguments: { command: 'ls -la' } }]),
        ollamaDone(30, 9),
      ]),
    );
    const deltas: string[] = [];
    const response = await provider().chat({
      system: 'Be brief.',
      messages: goal,
      tools,
      onText: (d) => deltas.push(d),
    });
    expect(deltas).toEqual(['Hmm. ', 'I will ', 'run ls.']);
    expect(response.text).toBe('Hmm. I will run ls.');
    expect(response.toolCalls).toEqual([
      { id: expect.any(String), name: 'run_command', args: { command: 'ls -la' } },
    ]);
    expect(response.usage).toEqual({ inputTokens: 30, outputTokens: 9 });
    expect(response.finishReason).toBe('stop');

    const body = server.requests[0]!.body as Record<string, unknown>;
    expect(server.requests[0]!.method).toBe('POST');
    expect(body.model).toBe('llama3.2');
    expect(body.stream).toBe(true);
    expect(body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'list the files' },
    ]);
    expect(body.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'run_command',
          description: 'Run a command',
          parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
        },
      },
    ]);
  });

  it('asks for at most DEFAULT_MAX_OUTPUT_TOKENS (num_predict), or what it was told, with the temperature', async () => {
    server.on(
      '/api/chat',
      ndjson([ollamaText('hi'), ollamaDone()]),
      ndjson([ollamaText('hi'), ollamaDone()]),
    );
    await provider().chat({ system: '', messages: goal, tools });
    await provider({ maxOutputTokens: 500, temperature: 0.2 }).chat({ system: '', messages: goal, tools });
    const options = (i: number) => (server.requests[i]!.body as { options: unknown }).options;
    expect(options(0)).toEqual({ num_predict: DEFAULT_MAX_OUTPUT_TOKENS });
    expect(options(1)).toEqual({ num_predict: 500, temperature: 0.2 });
  });

  it('cuts off an answer that passes its cap, thinking and tool call arguments included, and does not retry', async () => {
    const chunk = 'x'.repeat(64 * 1024);
    server.on(
      '/api/chat',
      ndjson(
        Array.from({ length: 100 }, () => ollamaText(chunk)),
        1,
      ),
    );
    const deltas: string[] = [];
    const started = Date.now();
    const error = await provider()
      .chat({ system: '', messages: goal, tools, onText: (d) => deltas.push(d) })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'bad_response',
      retryable: false,
      message: `the answer of ollama passed ${MAX_ANSWER_CHARS.toLocaleString('en-US')} characters without ending: it was cut off there`,
    });
    expect(deltas.join('').length).toBeLessThanOrEqual(MAX_ANSWER_CHARS);
    expect(server.requests).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(3000);

    server.on(
      '/api/chat',
      ndjson([
        { ...ollamaText(''), message: { role: 'assistant', content: '', thinking: 't'.repeat(600) } },
        ollamaCalls([{ name: 'run_command', arguments: { command: 'c'.repeat(600) } }]),
        ollamaDone(),
      ]),
    );
    await expect(
      provider({ maxAnswerChars: 1000 }).chat({ system: '', messages: goal, tools }),
    ).rejects.toMatchObject({
      kind: 'bad_response',
      message: expect.stringMatching(/passed 1,000 characters/),
    });
  });

  it('sends history with tool calls and tool results; images only to vision models', async () => {
    server.on(
      '/api/chat',
      ndjson([ollamaText('ok'), ollamaDone()]),
      ndjson([ollamaText('ok'), ollamaDone()]),
    );
    const messages: ChatMessage[] = [
      { role: 'user', content: 'see', images: [{ mimeType: 'image/png', data: new Uint8Array([1, 2, 3]) }] },
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'local_a', name: 'run_command', args: { command: 'false' } }],
      },
      { role: 'tool', callId: 'local_a', name: 'run_command', content: 'exit code 1', isError: true },
    ];
    await provider({ vision: true }).chat({ system: '', messages, tools: [] });
    await provider().chat({ system: '', messages, tools: [] });
    const [vision, text] = server.requests.map((r) => (r.body as { messages: unknown[] }).messages);
    expect(vision).toEqual([
      { role: 'user', content: 'see', images: ['AQID'] },
      {
        role: 'assistant',
        content: '',
        tool_calls: [{ function: { name: 'run_command', arguments: { command: 'false' } } }],
      },
      { role: 'tool', tool_name: 'run_command', content: 'Error: exit code 1' },
    ]);
    expect(text![0]).toEqual({
      role: 'user',
      content: 'see\n[1 image(s) omitted: this model does not take images]',
    });
  });

  it('retries a 429 after its Retry-After, then succeeds', async () => {
    server.on(
      '/api/chat',
      ollamaError(429, 'too many requests', { 'retry-after': '1' }),
      ndjson([ollamaText('fine'), ollamaDone()]),
    );
    const events: ProviderEvent[] = [];
    const response = await provider().chat({
      system: '',
      messages: goal,
      tools,
      onEvent: (e) => events.push(e),
    });
    expect(response.text).toBe('fine');
    expect(sleeps).toEqual([1000]);
    expect(events[0]).toMatchObject({
      type: 'retry',
      attempt: 2,
      delayMs: 1000,
      error: { kind: 'rate_limit', status: 429 },
    });
  });

  it('retries a 500 and fails clearly when it persists; a 404 (no such model) is not retried', async () => {
    server.on(
      '/api/chat',
      ollamaError(500, 'llama runner crashed'),
      ollamaError(500, 'llama runner crashed'),
      ollamaError(500, 'llama runner crashed'),
    );
    await expect(provider().chat({ system: '', messages: goal, tools })).rejects.toMatchObject({
      kind: 'server',
      status: 500,
      message: 'ollama answered HTTP 500: llama runner crashed',
    });
    expect(server.requests).toHaveLength(3);
    expect(sleeps).toEqual([375, 750]);

    server.on('/api/chat', ollamaError(404, 'model "nope" not found, try pulling it first'));
    await expect(
      provider({ model: 'nope' }).chat({ system: '', messages: goal, tools }),
    ).rejects.toMatchObject({
      kind: 'not_found',
      retryable: false,
    });
    expect(server.requests).toHaveLength(4);
  });

  it('reports a stream of garbage as a malformed response', async () => {
    server.on('/api/chat', ndjson(['{"model": garbage', 'not json either']));
    vi.spyOn(console, 'warn').mockImplementation(() => {}); // the client warns about each line it cannot parse
    await expect(provider().chat({ system: '', messages: goal, tools })).rejects.toMatchObject({
      kind: 'bad_response',
      retryable: false,
    });
  });

  it('passes an error line in the stream on as a failure', async () => {
    server.on('/api/chat', ndjson([ollamaText('starting'), { error: 'out of memory' }]));
    await expect(provider().chat({ system: '', messages: goal, tools })).rejects.toThrow(/out of memory/);
  });

  it('keeps malformed tool calls for the loop to refuse: arguments that are not JSON stay a string', async () => {
    server.on(
      '/api/chat',
      ndjson([ollamaCalls([{ name: 'run_command', arguments: '{"command": ' }]), ollamaDone()]),
    );
    const response = await provider().chat({ system: '', messages: goal, tools });
    expect(response.toolCalls[0]).toMatchObject({ name: 'run_command', args: '{"command": ' });
  });

  it('retries when the server is unreachable (connection refused), then fails as a network fault', async () => {
    const url = server.url;
    await server.close();
    const error = await new OllamaProvider({ host: url, retry: { attempts: 2, sleep: async () => {} } })
      .chat({ system: '', messages: goal, tools })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'network',
      retryable: true,
      message: 'cannot reach ollama: ECONNREFUSED',
    });
    server = await ScriptedServer.start(); // for afterEach
  });

  it('gives up on a server that hangs after the idle timeout', async () => {
    server.on('/api/chat', { hang: true });
    await expect(
      provider({ idleTimeoutMs: 150, retry: { attempts: 1 } }).chat({ system: '', messages: goal, tools }),
    ).rejects.toMatchObject({ kind: 'timeout' });
  });

  it('pulls a model with progress, and knows which models it has', async () => {
    server.on('/api/pull', ollamaPullStream(1000, 4));
    server.on('/api/tags', {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ models: [{ name: 'llama3.2:latest', model: 'llama3.2:latest', size: 1 }] }),
    });
    const progress: PullProgress[] = [];
    await provider().pull((p) => progress.push(p));
    expect(progress[0]).toEqual({ status: 'pulling manifest' });
    expect(progress.filter((p) => p.percent !== undefined).map((p) => p.percent)).toEqual([25, 50, 75, 100]);
    expect(progress.at(-1)).toEqual({ status: 'success' });
    expect(server.requestsTo(/\/api\/pull/)[0]!.body).toMatchObject({ name: 'llama3.2', stream: true });
    expect(await provider().hasModel()).toBe(true);
  });

  it('fails a pull clearly', async () => {
    server.on('/api/pull', ollamaError(500, 'pull model manifest: file does not exist'));
    await expect(provider({ model: 'nope' }).pull()).rejects.toMatchObject({
      kind: 'server',
      message: 'ollama answered HTTP 500: pull model manifest: file does not exist',
    });
  });
});
