import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GeminiProvider } from './gemini.js';
import { ProviderError } from './errors.js';
import { toolJsonSchema } from './schema.js';
import { MAX_ANSWER_CHARS, type ChatMessage, type ProviderEvent } from './types.js';
import {
  GEMINI_STREAM_PATH,
  geminiCall,
  geminiDone,
  geminiError,
  geminiPromptBlocked,
  geminiStream,
  geminiText,
  ScriptedServer,
} from './testing/index.js';

/** The real @google/genai client against a local server that speaks Gemini's SSE wire format. */
describe('GeminiProvider', () => {
  let server: ScriptedServer;
  const sleeps: number[] = [];
  const provider = (options: Partial<ConstructorParameters<typeof GeminiProvider>[0]> = {}) =>
    new GeminiProvider({
      apiKey: 'test-key',
      model: 'gemini-test',
      baseUrl: server.url,
      retry: { attempts: 3, random: () => 0.5, sleep: async (ms) => void sleeps.push(ms) },
      ...options,
    });
  const tools = [
    {
      name: 'write_file',
      description: 'Write a file',
      parameters: toolJsonSchema(
        z.object({ path: z.string(), content: z.string(), append: z.boolean().optional() }),
      ),
    },
  ];
  const goal: ChatMessage[] = [{ role: 'user', content: 'write hello to a.txt' }];

  beforeEach(async () => {
    server = await ScriptedServer.start();
    sleeps.length = 0;
  });
  afterEach(() => server.close());

  it('streams text deltas, returns tool calls and usage, and sends system prompt, tools and key on the wire', async () => {
    server.on(
      GEMINI_STREAM_PATH,
      geminiStream([
        geminiText('Let me '),
        geminiText('write it.'),
        geminiCall('write_file', { path: 'a.txt', content: 'hello' }, { thoughtSignature: 'sig-1' }),
        geminiDone(42, 7),
      ]),
    );
    const deltas: string[] = [];
    const response = await provider().chat({
      system: 'You are a test.',
      messages: goal,
      tools,
      onText: (d) => deltas.push(d),
    });

    expect(deltas).toEqual(['Let me ', 'write it.']);
    expect(response.text).toBe('Let me write it.');
    expect(response.toolCalls).toHaveLength(1);
    expect(response.toolCalls[0]).toMatchObject({
      name: 'write_file',
      args: { path: 'a.txt', content: 'hello' },
      signature: 'sig-1',
    });
    expect(response.toolCalls[0]!.id).toBeTruthy();
    expect(response.usage).toEqual({ inputTokens: 42, outputTokens: 7 });
    expect(response.finishReason).toBe('STOP');

    const [request] = server.requests;
    expect(request!.url).toMatch(/^\/v1beta\/models\/gemini-test:streamGenerateContent\?alt=sse/);
    expect(request!.headers['x-goog-api-key']).toBe('test-key');
    const body = request!.body as {
      systemInstruction: { parts: { text: string }[] };
      contents: unknown[];
      tools: { functionDeclarations: { name: string; parametersJsonSchema: unknown }[] }[];
    };
    expect(body.systemInstruction.parts[0]!.text).toBe('You are a test.');
    expect(body.contents).toEqual([{ role: 'user', parts: [{ text: 'write hello to a.txt' }] }]);
    const declaration = body.tools[0]!.functionDeclarations[0]!;
    expect(declaration.name).toBe('write_file');
    expect(declaration.parametersJsonSchema).toMatchObject({
      type: 'object',
      properties: { path: { type: 'string' }, content: { type: 'string' }, append: { type: 'boolean' } },
      required: ['path', 'content'],
    });
  });

  it('sends history as Gemini contents: function calls with signatures, function responses, images inline', async () => {
    server.on(GEMINI_STREAM_PATH, geminiStream([geminiText('ok'), geminiDone()]));
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    await provider().chat({
      system: '',
      tools: [],
      messages: [
        { role: 'user', content: 'look', images: [{ mimeType: 'image/png', data: png }] },
        {
          role: 'assistant',
          content: 'reading',
          toolCalls: [{ id: 'local_1', name: 'read_file', args: { path: 'a' }, signature: 'sig' }],
        },
        { role: 'tool', callId: 'local_1', name: 'read_file', content: 'the text' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'local_2', name: 'read_file', args: { path: 'b' } }],
        },
        {
          role: 'tool',
          callId: 'local_2',
          name: 'read_file',
          content: 'E_NOT_FOUND: b does not exist',
          isError: true,
        },
      ],
    });
    const body = server.requests[0]!.body as { contents: unknown[]; systemInstruction?: unknown };
    expect(body.systemInstruction).toBeUndefined();
    expect(body.contents).toEqual([
      {
        role: 'user',
        parts: [{ text: 'look' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw==' } }],
      },
      {
        role: 'model',
        parts: [
          { text: 'reading' },
          { functionCall: { name: 'read_file', args: { path: 'a' } }, thoughtSignature: 'sig' },
        ],
      },
      {
        role: 'user',
        parts: [{ functionResponse: { name: 'read_file', response: { output: 'the text' } } }],
      },
      { role: 'model', parts: [{ functionCall: { name: 'read_file', args: { path: 'b' } } }] },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'read_file', response: { error: 'E_NOT_FOUND: b does not exist' } } },
        ],
      },
    ]);
  });

  it('retries a 429 after the Retry-After it was given, then succeeds, reporting the retry', async () => {
    server.on(
      GEMINI_STREAM_PATH,
      geminiError(429, 'Resource has been exhausted', { retryAfter: '2' }),
      geminiStream([geminiText('hi'), geminiDone()]),
    );
    const events: ProviderEvent[] = [];
    const response = await provider().chat({
      system: '',
      messages: goal,
      tools,
      onEvent: (e) => events.push(e),
    });
    expect(response.text).toBe('hi');
    expect(server.requests).toHaveLength(2);
    expect(sleeps).toEqual([2000]);
    expect(events).toEqual([
      {
        type: 'retry',
        attempt: 2,
        delayMs: 2000,
        error: expect.objectContaining({ kind: 'rate_limit', status: 429, retryable: true }),
      },
    ]);
  });

  it("honours Gemini's RetryInfo delay in the body when there is no Retry-After header", async () => {
    server.on(
      GEMINI_STREAM_PATH,
      geminiError(429, 'Quota exceeded', { retryDelay: '3s' }),
      geminiStream([geminiText('hi'), geminiDone()]),
    );
    await provider().chat({ system: '', messages: goal, tools });
    expect(sleeps).toEqual([3000]);
  });

  it('backs off exponentially on 5xx and fails with a clear server error once attempts run out', async () => {
    server.on(
      GEMINI_STREAM_PATH,
      geminiError(500, 'Internal error'),
      geminiError(503, 'Overloaded'),
      geminiError(500, 'Internal error'),
    );
    const error = await provider()
      .chat({ system: '', messages: goal, tools })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'server', status: 500, retryable: true });
    expect((error as Error).message).toBe('gemini answered HTTP 500: Internal error');
    expect(server.requests).toHaveLength(3);
    // equal jitter with random() = 0.5: 3/4 of 500 ms, then of 1000 ms
    expect(sleeps).toEqual([375, 750]);
  });

  it('does not retry a 4xx', async () => {
    server.on(GEMINI_STREAM_PATH, geminiError(400, 'Invalid JSON payload'));
    await expect(provider().chat({ system: '', messages: goal, tools })).rejects.toMatchObject({
      kind: 'bad_request',
      status: 400,
      retryable: false,
      message: 'gemini answered HTTP 400: Invalid JSON payload',
    });
    expect(server.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('reports garbage in the stream as a malformed response', async () => {
    server.on(GEMINI_STREAM_PATH, {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      chunks: ['data: {"candidates": [garbage\r\n\r\n'],
    });
    await expect(provider().chat({ system: '', messages: goal, tools })).rejects.toMatchObject({
      kind: 'bad_response',
      retryable: false,
    });
    expect(server.requests).toHaveLength(1);
  });

  it('retries a connection cut before any answer (a network fault)', async () => {
    server.on(
      GEMINI_STREAM_PATH,
      { cut: 'before-headers' },
      geminiStream([geminiText('back'), geminiDone()]),
    );
    const response = await provider().chat({ system: '', messages: goal, tools });
    expect(response.text).toBe('back');
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry once text was streamed: the caller already showed it', async () => {
    server.on(GEMINI_STREAM_PATH, {
      ...geminiStream([geminiText('partial'), geminiDone()]),
      cut: 'mid-body',
    });
    const deltas: string[] = [];
    await expect(
      provider().chat({ system: '', messages: goal, tools, onText: (d) => deltas.push(d) }),
    ).rejects.toMatchObject({
      kind: 'network',
    });
    expect(deltas).toEqual(['partial']);
    expect(server.requests).toHaveLength(1);
  });

  it('gives up on a server that hangs, after the idle timeout, on every attempt', async () => {
    server.on(GEMINI_STREAM_PATH, { hang: true }, { hang: true });
    const started = Date.now();
    const error = await provider({ idleTimeoutMs: 200, retry: { attempts: 2, sleep: async () => {} } })
      .chat({ system: '', messages: goal, tools })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      kind: 'timeout',
      retryable: true,
      message: 'no answer from gemini for 0.2 s',
    });
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('stops at once when the caller aborts, without retrying', async () => {
    server.on(GEMINI_STREAM_PATH, { hang: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('killed')), 100);
    await expect(
      provider().chat({ system: '', messages: goal, tools, signal: controller.signal }),
    ).rejects.toMatchObject({
      kind: 'aborted',
    });
    expect(server.requests).toHaveLength(1);
  });

  it("leaves the output cap to the model's own unless told one", async () => {
    server.on(GEMINI_STREAM_PATH, geminiStream([geminiText('hi'), geminiDone()]));
    server.on(GEMINI_STREAM_PATH, geminiStream([geminiText('hi'), geminiDone()]));
    await provider().chat({ system: '', messages: goal, tools });
    await provider({ maxOutputTokens: 1000 }).chat({ system: '', messages: goal, tools });
    const config = (i: number) =>
      (server.requests[i]!.body as { generationConfig: { maxOutputTokens: number } }).generationConfig;
    // none by default: gemini-2.0-flash refuses more than 8,192, newer models allow 65,536
    expect(config(0).maxOutputTokens).toBeUndefined();
    expect(config(1).maxOutputTokens).toBe(1000);
  });

  it('cuts off an answer that passes its cap, before showing or keeping more, and does not retry', async () => {
    // a server that streams without end (as far as the client can tell): 64 KiB chunks, six megabytes of them, twelve times the cap
    const chunk = 'x'.repeat(64 * 1024);
    server.on(
      GEMINI_STREAM_PATH,
      geminiStream(
        Array.from({ length: 100 }, () => geminiText(chunk)),
        1,
      ),
    );
    const deltas: string[] = [];
    const started = Date.now();
    const error = await provider()
      .chat({ system: '', messages: goal, tools, onText: (d) => deltas.push(d) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({
      kind: 'bad_response',
      retryable: false,
      message: `the answer of gemini passed ${MAX_ANSWER_CHARS.toLocaleString('en-US')} characters without ending: it was cut off there`,
    });
    expect(deltas.join('').length).toBeLessThanOrEqual(MAX_ANSWER_CHARS);
    expect(server.requests).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('counts function call arguments against the cap too', async () => {
    server.on(
      GEMINI_STREAM_PATH,
      geminiStream([
        geminiCall('write_file', { path: 'a.txt', content: 'y'.repeat(600) }),
        geminiCall('write_file', { path: 'b.txt', content: 'y'.repeat(600) }),
        geminiDone(),
      ]),
    );
    await expect(
      provider({ maxAnswerChars: 1000 }).chat({ system: '', messages: goal, tools }),
    ).rejects.toMatchObject({
      kind: 'bad_response',
      message: expect.stringMatching(/passed 1,000 characters/),
    });
  });

  it('fails a turn whose prompt Gemini blocked, or whose answer its filters stopped, without retrying', async () => {
    server.on(GEMINI_STREAM_PATH, geminiStream([geminiPromptBlocked('SAFETY')]));
    await expect(provider().chat({ system: '', messages: goal, tools })).rejects.toMatchObject({
      kind: 'bad_request',
      retryable: false,
      message: 'gemini blocked the prompt (SAFETY)',
    });
    server.on(
      GEMINI_STREAM_PATH,
      geminiStream([geminiPromptBlocked('PROHIBITED_CONTENT', 'the prompt breaks the terms')]),
    );
    await expect(provider().chat({ system: '', messages: goal, tools })).rejects.toMatchObject({
      message: 'gemini blocked the prompt (PROHIBITED_CONTENT): the prompt breaks the terms',
    });
    for (const reason of ['RECITATION', 'SPII', 'BLOCKLIST']) {
      server.on(GEMINI_STREAM_PATH, geminiStream([geminiText('Here is the'), geminiDone(10, 3, reason)]));
      await expect(provider().chat({ system: '', messages: goal, tools })).rejects.toMatchObject({
        kind: 'bad_response',
        retryable: false,
        message: `gemini blocked its answer (${reason})`,
      });
    }
    expect(server.requests).toHaveLength(5);
    // a turn that ran out of output tokens is not blocked: it is the loop's to judge
    server.on(GEMINI_STREAM_PATH, geminiStream([geminiDone(10, 3, 'MAX_TOKENS')]));
    expect(await provider().chat({ system: '', messages: goal, tools })).toMatchObject({
      text: '',
      toolCalls: [],
      finishReason: 'MAX_TOKENS',
    });
  });

  it('needs an API key', () => {
    expect(() => new GeminiProvider({ apiKey: '' })).toThrow(/API key/);
  });
});
