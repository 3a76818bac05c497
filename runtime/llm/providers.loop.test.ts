import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodePng, LoopControl } from '../../kernel/index.js';
import { AgentLoop } from '../AgentLoop.js';
import { InMemoryConversation } from '../conversation/index.js';
import type { AgentEvent } from '../events.js';
import { KernelAgents } from '../testing/kernelAgent.js';
import { agentTools, coreTools, type AgentHost } from '../tools/index.js';
import { FakeHost } from '../tools/testing/FakeHost.js';
import { GeminiProvider } from './gemini.js';
import { OllamaProvider } from './ollama.js';
import {
  GEMINI_STREAM_PATH,
  geminiCall,
  geminiDone,
  geminiError,
  geminiPromptBlocked,
  geminiStream,
  geminiText,
  ndjson,
  ollamaCalls,
  ollamaDone,
  ollamaError,
  ollamaPullStream,
  ollamaTags,
  ollamaText,
  ScriptedServer,
} from './testing/index.js';
import type { Provider } from './types.js';

/** The loop driving real SDK clients against scripted model servers. */
describe('providers in the loop', () => {
  let server: ScriptedServer;
  const agents = new KernelAgents();
  beforeEach(async () => {
    server = await ScriptedServer.start();
  });
  afterEach(() => server.close());
  afterAll(() => agents.close());

  const retry = { attempts: 3, sleep: async () => {} };
  const run = async (provider: Provider, host: AgentHost = new FakeHost(), control = new LoopControl()) => {
    const events: AgentEvent[] = [];
    const result = await new AgentLoop({
      goal: 'do it',
      provider,
      tools: coreTools(),
      host,
      control,
      sink: (e) => events.push(e),
    }).run();
    return { result, events, host };
  };

  it('Gemini: malformed tool calls go back to the model as function errors, and it recovers', async () => {
    server.on(
      GEMINI_STREAM_PATH,
      geminiStream([geminiCall('delete_everything', {}), geminiDone()]),
      geminiStream([geminiText('Oops. '), geminiCall('write_file', { path: 'a.txt' }), geminiDone()]),
      geminiStream([geminiCall('write_file', { path: 'a.txt', content: 'fixed' }), geminiDone()]),
      geminiStream([geminiCall('complete', { summary: 'wrote a.txt' }), geminiDone(100, 20)]),
    );
    const { result, host, events } = await run(
      new GeminiProvider({ apiKey: 'k', baseUrl: server.url, retry }),
    );
    expect(result).toMatchObject({ outcome: 'completed', summary: 'wrote a.txt', steps: 4 });
    expect((host as FakeHost).files.data.get('a.txt')).toBe('fixed');
    const second = server.requests[1]!.body as {
      contents: {
        role: string;
        parts: { functionResponse: { name: string; response: { error?: string } } }[];
      }[];
    };
    expect(second.contents.at(-1)).toEqual({
      role: 'user',
      parts: [
        {
          functionResponse: {
            name: 'delete_everything',
            response: { error: expect.stringMatching(/^there is no tool named "delete_everything"/) },
          },
        },
      ],
    });
    const third = server.requests[2]!.body as typeof second;
    expect(third.contents.at(-1)!.parts[0]!.functionResponse.response.error).toMatch(
      /^invalid arguments for write_file: content/,
    );
    expect(events.filter((e) => e.type === 'usage').at(-1)).toMatchObject({
      totalInput: 130,
      totalOutput: 35,
    });
  });

  it('Gemini: a screenshot goes back as an inline PNG after the function response', async () => {
    const png = encodePng({ width: 4, height: 2, rgb: Buffer.alloc(4 * 2 * 3, 200) });
    const host = Object.assign(new FakeHost(), {
      display: { width: 4, height: 2, screenshot: async () => ({ width: 4, height: 2, png }) },
    });
    server.on(
      GEMINI_STREAM_PATH,
      geminiStream([geminiCall('screenshot', {}), geminiDone()]),
      geminiStream([geminiCall('complete', { summary: 'saw it' }), geminiDone()]),
    );
    const result = await new AgentLoop({
      goal: 'look',
      provider: new GeminiProvider({ apiKey: 'k', baseUrl: server.url, retry }),
      tools: agentTools(host),
      host,
      control: new LoopControl(),
    }).run();
    expect(result.outcome).toBe('completed');
    const second = server.requests[1]!.body as { contents: { role: string; parts: unknown[] }[] };
    expect(second.contents.at(-1)).toEqual({
      role: 'user',
      parts: [
        { functionResponse: { name: 'screenshot', response: { output: 'screenshot of the 4x2 screen' } } },
        { inlineData: { mimeType: 'image/png', data: png.toString('base64') } },
      ],
    });
  });

  it('Gemini: a 429 then success shows as a retry event; garbage fails the run with a clear event', async () => {
    server.on(
      GEMINI_STREAM_PATH,
      geminiError(429, 'Resource has been exhausted', { retryAfter: '0' }),
      geminiStream([geminiCall('complete', { summary: 'ok' }), geminiDone()]),
    );
    const ok = await run(new GeminiProvider({ apiKey: 'k', baseUrl: server.url, retry }));
    expect(ok.result.outcome).toBe('completed');
    expect(ok.events.find((e) => e.type === 'llm.retry')).toMatchObject({
      attempt: 2,
      error: { kind: 'rate_limit', status: 429 },
    });

    server.on(GEMINI_STREAM_PATH, {
      status: 200,
      headers: { 'content-type': 'text/event-stream' },
      chunks: ['data: {oops\r\n\r\n'],
    });
    const bad = await run(new GeminiProvider({ apiKey: 'k', baseUrl: server.url, retry }));
    expect(bad.result).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(/^the model \(gemini\) failed: gemini sent a malformed response/),
    });
    expect(bad.events.find((e) => e.type === 'llm.error')).toMatchObject({
      error: { kind: 'bad_response', provider: 'gemini' },
    });
  });

  it('Gemini: an answer without end fails the run at once; a long one is kept whole but clipped in the events', async () => {
    const chunk = 'x'.repeat(64 * 1024);
    server.on(
      GEMINI_STREAM_PATH,
      geminiStream(
        Array.from({ length: 100 }, () => geminiText(chunk)),
        1,
      ),
    );
    const started = Date.now();
    const endless = await run(new GeminiProvider({ apiKey: 'k', baseUrl: server.url, retry }));
    expect(endless.result).toMatchObject({
      outcome: 'failed',
      reason: expect.stringMatching(
        /^the model \(gemini\) failed: the answer of gemini passed 500,000 characters/,
      ),
    });
    expect(endless.events.find((e) => e.type === 'llm.error')).toMatchObject({
      error: { kind: 'bad_response', provider: 'gemini', retryable: false },
    });
    expect(Date.now() - started).toBeLessThan(5000);

    const long = 'y'.repeat(100_000);
    server.on(
      GEMINI_STREAM_PATH,
      geminiStream([geminiText(long), geminiCall('complete', { summary: 's' }), geminiDone()]),
    );
    const conversation = new InMemoryConversation();
    const events: AgentEvent[] = [];
    const result = await new AgentLoop({
      goal: 'do it',
      provider: new GeminiProvider({ apiKey: 'k', baseUrl: server.url, retry }),
      tools: coreTools(),
      host: new FakeHost(),
      control: new LoopControl(),
      conversation,
      sink: (e) => events.push(e),
    }).run();
    expect(result.outcome).toBe('completed');
    const thought = events.find((e) => e.type === 'thought');
    expect(thought && thought.type === 'thought' && thought.text.length).toBeLessThan(8100);
    expect(thought).toMatchObject({ text: expect.stringContaining('characters cut') });
    const stored = (await conversation.load()).find((m) => m.role === 'assistant');
    expect(stored?.content).toBe(long); // the model keeps its whole answer
  });

  it('Gemini: a blocked prompt fails the run at once with a clear reason, never as completed', async () => {
    server.on(
      GEMINI_STREAM_PATH,
      ...Array.from({ length: 3 }, () => geminiStream([geminiPromptBlocked('SAFETY')])),
    );
    const { result, events } = await run(new GeminiProvider({ apiKey: 'k', baseUrl: server.url, retry }));
    expect(result).toMatchObject({
      outcome: 'failed',
      reason: 'the model (gemini) failed: gemini blocked the prompt (SAFETY)',
      steps: 1,
    });
    expect(result.summary).toBeUndefined();
    expect(events.find((e) => e.type === 'llm.error')).toMatchObject({
      error: { kind: 'bad_request', provider: 'gemini', retryable: false },
    });
    expect(server.requests).toHaveLength(1);
  });

  it('Ollama: runs a command in a real sandbox and sends its result back as a tool message', async () => {
    const agent = await agents.spawn();
    server.on('/api/tags', ollamaTags('llama3.2:latest'));
    server.on(
      '/api/chat',
      ndjson([
        ollamaText('Listing.'),
        ollamaCalls([{ name: 'run_command', arguments: { command: 'echo from-the-sandbox; pwd' } }]),
        ollamaDone(),
      ]),
      ndjson([ollamaCalls([{ name: 'complete', arguments: { summary: 'ran it' } }]), ollamaDone()]),
    );
    const { result, events } = await run(
      new OllamaProvider({ host: server.url, retry }),
      agent.host,
      agent.kernel.processes.control(agent.pid),
    );
    expect(result.outcome).toBe('completed');
    const tool = (
      server.requestsTo(/\/api\/chat/)[1]!.body as {
        messages: { role: string; content: string; tool_name?: string }[];
      }
    ).messages.at(-1)!;
    expect(tool).toMatchObject({ role: 'tool', tool_name: 'run_command' });
    expect(tool.content).toMatch(
      /^\$ echo from-the-sandbox; pwd\nexit code 0 \(\d+ ms\)\nfrom-the-sandbox\n\//,
    );
    expect(events.find((e) => e.type === 'thought')).toMatchObject({ text: 'Listing.' });
  });

  it('Ollama: a model the server lacks is pulled first, its progress reported; a failed pull fails the run', async () => {
    server.on('/api/tags', ollamaTags('other:latest'), ollamaTags());
    server.on(
      '/api/pull',
      ollamaPullStream(2_000_000_000, 4),
      ollamaError(500, 'pull model manifest: file does not exist'),
    );
    server.on(
      '/api/chat',
      ndjson([ollamaCalls([{ name: 'complete', arguments: { summary: 'ok' } }]), ollamaDone()]),
    );
    const pulled = await run(new OllamaProvider({ host: server.url, retry }));
    expect(pulled.result.outcome).toBe('completed');
    const progress = pulled.events.filter((e) => e.type === 'model.pull');
    expect(progress.map((e) => e.percent).filter((p) => p !== undefined)).toEqual([25, 50, 75, 100]);
    expect(progress.find((e) => e.percent === 50)).toMatchObject({
      model: 'llama3.2',
      message: 'llama3.2: pulling 6a0746a1ec1a 50% of 2.0 GB',
    });
    expect(progress.at(-1)).toMatchObject({ status: 'success', message: 'llama3.2: success' });
    // the pull came before the first turn, and only once the server said it lacked the model
    const paths = server.requests.map((r) => r.url.replace(/\?.*$/, ''));
    expect(paths).toEqual(['/api/tags', '/api/pull', '/api/chat']);

    const failed = await run(new OllamaProvider({ host: server.url, retry }));
    expect(failed.result).toMatchObject({
      outcome: 'failed',
      reason:
        'the model (ollama) could not be made ready: ollama answered HTTP 500: pull model manifest: file does not exist',
      steps: 0,
    });
    // reported as the model's failure, like one in a turn
    expect(failed.events.find((e) => e.type === 'llm.error')).toMatchObject({
      error: { kind: 'server', provider: 'ollama', status: 500 },
    });
    expect(server.requestsTo(/\/api\/chat/)).toHaveLength(1); // no turn without the model
  });

  describe('a long model pull', () => {
    // 50 progress lines 20 ms apart: a pull of about a second
    const slowPull = () =>
      ndjson(
        [
          ...Array.from({ length: 50 }, (_, i) => ({
            status: 'pulling abc',
            digest: 'abc',
            total: 50,
            completed: i,
          })),
          { status: 'success' },
        ],
        20,
      );
    const loop = (control: LoopControl, events: AgentEvent[], maxDurationMs: number) =>
      new AgentLoop({
        goal: 'do it',
        provider: new OllamaProvider({ host: server.url, retry }),
        tools: coreTools(),
        host: new FakeHost(),
        control,
        sink: (e) => events.push(e),
        budgets: { maxDurationMs },
      });

    it('ended by KILL: the run is killed, not failed by the runtime', async () => {
      server.on('/api/tags', ollamaTags());
      server.on('/api/pull', slowPull());
      const control = new LoopControl();
      const events: AgentEvent[] = [];
      const running = loop(control, events, 60_000).run();
      await new Promise((r) => setTimeout(r, 300));
      expect(events.some((e) => e.type === 'model.pull')).toBe(true);
      control.kill();
      expect(await running).toMatchObject({ outcome: 'killed', reason: 'killed (KILL)', steps: 0 });
      expect(events.filter((e) => e.type === 'llm.error')).toEqual([]);
      expect(server.requestsTo(/\/api\/chat/)).toHaveLength(0);
    });

    it('ended by TERM: the pull stops at once (it is no step to let finish) and the run ends terminated', async () => {
      server.on('/api/tags', ollamaTags());
      server.on('/api/pull', slowPull());
      const control = new LoopControl();
      const events: AgentEvent[] = [];
      const running = loop(control, events, 60_000).run();
      await new Promise((r) => setTimeout(r, 300));
      expect(events.some((e) => e.type === 'model.pull')).toBe(true);
      const termAt = Date.now();
      control.terminate();
      expect(await running).toMatchObject({
        outcome: 'terminated',
        reason: 'terminated (TERM) while its model was being made ready',
        steps: 0,
      });
      expect(Date.now() - termAt).toBeLessThan(500); // the pull had about 700 ms to go
      expect(events.filter((e) => e.type === 'model.pull').at(-1)).not.toMatchObject({ status: 'success' });
      expect(events.filter((e) => e.type === 'llm.error')).toEqual([]);
      expect(server.requestsTo(/\/api\/chat/)).toHaveLength(0);
    });

    it('does not count against the time budget: the run starts its clock once the model is ready', async () => {
      server.on('/api/tags', ollamaTags());
      server.on('/api/pull', slowPull());
      server.on(
        '/api/chat',
        ndjson([ollamaCalls([{ name: 'complete', arguments: { summary: 'ok' } }]), ollamaDone()]),
      );
      const events: AgentEvent[] = [];
      const started = Date.now();
      const result = await loop(new LoopControl(), events, 500).run();
      expect(Date.now() - started).toBeGreaterThan(900); // the pull took longer than the whole budget
      expect(result).toMatchObject({ outcome: 'completed', steps: 1 });
      expect(result.durationMs).toBeLessThan(500);
      expect(events.filter((e) => e.type === 'model.pull').at(-1)).toMatchObject({ status: 'success' });
    });
  });
});
