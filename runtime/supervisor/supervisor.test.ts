import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Kernel } from '../../kernel/index.js';
import type { ProcessInfo } from '../../shared/protocol/index.js';
import { tempDir, waitFor } from '../../test/helpers.js';
import { StoredConversation } from '../conversation/index.js';
import { AgentEventPublisher } from './publisher.js';
import { AgentSupervisor } from './AgentSupervisor.js';
import { recordAgentEvents } from '../testing/agentEvents.js';
import {
  ndjson,
  ollamaCalls,
  ollamaDone,
  ollamaError,
  ollamaPullStream,
  ollamaTags,
  ScriptedServer,
} from '../llm/testing/index.js';

/** The supervisor on real kernels and host sandboxes: goals run, stream, persist and end the process. */
describe('agent supervisor', () => {
  const dirs: ReturnType<typeof tempDir>[] = [];
  const kernels: Kernel[] = [];
  const supervisors: AgentSupervisor[] = [];
  async function open(dataDir?: string): Promise<Kernel> {
    if (!dataDir) {
      const dir = tempDir('habitat-agents-');
      dirs.push(dir);
      dataDir = dir.path;
    }
    const kernel = await Kernel.open({ dataDir, mode: 'headless', version: 'test', termGraceMs: 500 });
    kernels.push(kernel);
    return kernel;
  }
  const supervise = (kernel: Kernel, env: Record<string, string> = {}) => {
    const agents = new AgentSupervisor(kernel, { env });
    supervisors.push(agents);
    return agents;
  };
  const events = recordAgentEvents;
  const ended = (kernel: Kernel, pid: number, ms = 20_000) =>
    waitFor(() => kernel.processes.get(pid).state === 'zombie', ms, `process ${pid} to end`);

  afterEach(async () => {
    for (const agents of supervisors.splice(0)) await agents.close();
    for (const kernel of kernels.splice(0)) await kernel.close();
    for (const dir of dirs.splice(0)) dir.cleanup();
  });

  it('runs a goal: the work is done, events stream and land in the log, and the process exits completed', async () => {
    const kernel = await open();
    const agents = supervise(kernel);
    const phases: string[] = [];
    kernel.events.on('process.changed', (info) => phases.push((info as ProcessInfo).phase));
    // events of PID 1 from the very start (the first spawn of a fresh data folder gets PID 1)
    const seen = events(kernel, 1);
    const info = await agents.spawn(
      { network: false, goal: "create notes/todo.md with content 'a b c', then run `cat notes/todo.md`" },
      {},
    );
    expect(info.pid).toBe(1);
    expect(info.phase).toBe('booting');
    expect(agents.isRunning(info.pid)).toBe(true);
    await ended(kernel, info.pid);

    const home = kernel.processes.home(info.pid);
    expect(readFileSync(join(home, 'notes/todo.md'), 'utf8')).toBe('a b c\n');
    expect(kernel.processes.get(info.pid)).toMatchObject({
      state: 'zombie',
      phase: 'completed',
      exitCode: 0,
      exitReason: 'the agent completed its goal',
    });
    const types = seen.map((e) => e.type);
    expect(types[0]).toBe('phase');
    expect(types).toEqual(expect.arrayContaining(['thought', 'tool.call', 'tool.result', 'usage']));
    expect(types.at(-1)).toBe('end');
    const results = seen.filter((e) => e.type === 'tool.result');
    expect(results.map((r) => [r.tool, r.ok])).toEqual([
      ['write_file', true],
      ['run_command', true],
      ['complete', true],
    ]);
    expect(results[1]!.output).toContain('a b c');
    expect(seen.at(-1)).toMatchObject({ type: 'end', outcome: 'completed', pid: info.pid });
    // the phases went through the process table: thinking, executing, observing... completed
    expect(phases).toEqual(
      expect.arrayContaining(['booting', 'thinking', 'executing', 'observing', 'completed']),
    );

    // every event but thought deltas is in the log, under the seq the stream carried
    const log = kernel.store.latestEvents(info.pid, 500);
    const logged = log.filter((e) => e.type.startsWith('agent.'));
    expect(logged.map((e) => e.type)).toEqual(
      seen.filter((e) => e.type !== 'thought.delta').map((e) => `agent.${e.type}`),
    );
    expect(logged.map((e) => e.seq)).toEqual(seen.filter((e) => e.seq !== undefined).map((e) => e.seq));
    expect(log.at(-1)?.type).toBe('process.exited');

    // the conversation is in the store, and the loop's log reads it back
    const conversation = agents.conversation(info.pid, 0, 100);
    expect(conversation.total).toBeGreaterThanOrEqual(7); // goal, then (call, result) x 3
    expect(conversation.messages[0]!.message).toEqual({
      role: 'user',
      content: expect.stringContaining('todo'),
    });
    expect(new StoredConversation(kernel.store, info.pid).load()).toHaveLength(conversation.total);
    expect(agents.isRunning(info.pid)).toBe(false);
  });

  it('refuses what cannot run before any process exists: Gemini without a key, settings without a goal', async () => {
    const kernel = await open();
    const agents = supervise(kernel, {});
    await expect(agents.spawn({ network: false, goal: 'hi' }, { provider: 'gemini' })).rejects.toMatchObject({
      code: 'E_UNAVAILABLE',
      message: expect.stringContaining('GEMINI_API_KEY'),
    });
    await expect(agents.spawn({ network: false }, { maxSteps: 3 })).rejects.toMatchObject({
      code: 'E_INVALID',
      message: expect.stringContaining('maxSteps'),
    });
    expect(kernel.processes.list()).toEqual([]);
    // no goal, no settings: a shell, as before
    const shell = await agents.spawn({ network: false });
    expect(shell).toMatchObject({ state: 'running', phase: 'waiting' });
    expect(agents.isRunning(shell.pid)).toBe(false);
  });

  it('ends a run that exhausts its step budget as failed, with the reason', async () => {
    const kernel = await open();
    const agents = supervise(kernel);
    const info = await agents.spawn(
      { network: false, goal: "write 'x' to a.txt, then write 'y' to b.txt, then run `true`" },
      { maxSteps: 1 },
    );
    await ended(kernel, info.pid);
    expect(kernel.processes.get(info.pid)).toMatchObject({
      phase: 'failed',
      exitCode: 1,
      exitReason: expect.stringContaining('step budget (1 steps)'),
    });
  });

  it('a dangerous action waits for a person; memory a person sets reaches the waiting agent', async () => {
    const kernel = await open();
    const agents = supervise(kernel);
    const approvals: unknown[] = [];
    kernel.events.on('agent.approval', (payload) => approvals.push(payload));
    const seen = events(kernel, 1);
    const info = await agents.spawn({ network: false, goal: 'run `rm -rf build`' }, {});
    await waitFor(() => agents.approvals(info.pid).length === 1, 10_000, 'the approval request');
    expect(kernel.processes.get(info.pid).phase).toBe('waiting');
    const [request] = agents.approvals();
    expect(request).toMatchObject({ pid: info.pid, tool: 'run_command', args: { command: 'rm -rf build' } });
    expect(request!.reasons.join(' ')).toMatch(/recursive/i);
    expect(approvals).toMatchObject([{ pid: info.pid, change: 'requested', request: { id: request!.id } }]);

    expect(await agents.getMemory(info.pid)).toBe('');
    await agents.setMemory(info.pid, 'the user prefers tabs\n');
    expect(readFileSync(join(kernel.processes.home(info.pid), 'notes/MEMORY.md'), 'utf8')).toBe(
      'the user prefers tabs\n',
    );
    expect(seen.at(-1)).toMatchObject({ type: 'memory', notes: 'the user prefers tabs\n' });

    expect(() => agents.approve(info.pid, 'no-such-request')).toThrow(
      expect.objectContaining({ code: 'E_NOT_FOUND' }),
    );
    expect(agents.deny(info.pid, request!.id, 'not today')).toMatchObject({ id: request!.id });
    await ended(kernel, info.pid);
    const result = seen.find((e) => e.type === 'tool.result');
    expect(result).toMatchObject({ ok: false, output: 'not run: a person denied it: not today' });
    expect(approvals.at(-1)).toMatchObject({
      change: 'resolved',
      decision: { approved: false, by: 'person' },
    });
    expect(kernel.processes.get(info.pid)).toMatchObject({ phase: 'failed', exitCode: 1 });
    expect(() => agents.approve(info.pid)).toThrow(expect.objectContaining({ code: 'E_NOT_FOUND' }));
    await expect(agents.getMemory(999)).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('resumes an agent that is alive at boot in the middle of its run, from its saved conversation', async () => {
    const kernel = await open();
    // as a re-attached container agent finds itself: live, mid-run, with the first step in its conversation
    const goal = "write 'one' to a.txt, then write 'two' to b.txt";
    const info = await kernel.processes.spawn({
      network: false,
      goal,
      agent: { provider: 'heuristic', approvalPolicy: 'dangerous' },
    });
    kernel.processes.setPhase(info.pid, 'observing');
    const saved = new StoredConversation(kernel.store, info.pid);
    saved.append({ role: 'user', content: goal });
    saved.append({
      role: 'assistant',
      content: 'Step 1 of 2: write a.txt.',
      toolCalls: [{ id: 'c1', name: 'write_file', args: { path: 'a.txt', content: 'one' } }],
    });
    saved.append({ role: 'tool', callId: 'c1', name: 'write_file', content: 'wrote a.txt (3 bytes)' });
    const shell = await kernel.processes.spawn({ network: false }); // no run: left alone

    const agents = supervise(kernel);
    const seen = events(kernel, info.pid);
    expect(agents.recover()).toEqual([info.pid]);
    expect(agents.isRunning(shell.pid)).toBe(false);
    await ended(kernel, info.pid);

    const home = kernel.processes.home(info.pid);
    expect(existsSync(join(home, 'a.txt'))).toBe(false); // step 1 was not done again: it was in the conversation
    expect(readFileSync(join(home, 'b.txt'), 'utf8')).toBe('two\n');
    expect(kernel.processes.get(info.pid)).toMatchObject({ phase: 'completed', exitCode: 0 });
    expect(seen[0]).toMatchObject({
      type: 'warning',
      message: expect.stringContaining('resumed after a kernel restart'),
    });
    expect(seen.filter((e) => e.type === 'tool.call').map((e) => e.type === 'tool.call' && e.tool)).toEqual([
      'write_file',
      'complete',
    ]);
  });

  it('a mid-run agent whose provider cannot be made at boot ends failed, saying why', async () => {
    const kernel = await open();
    const info = await kernel.processes.spawn({
      network: false,
      goal: 'anything',
      agent: { provider: 'gemini', approvalPolicy: 'never' },
    });
    kernel.processes.setPhase(info.pid, 'thinking');
    expect(supervise(kernel, {}).recover()).toEqual([]);
    expect(kernel.processes.get(info.pid)).toMatchObject({
      state: 'zombie',
      phase: 'failed',
      exitReason: expect.stringMatching(/^could not resume after a restart: Gemini needs an API key/),
    });
  });
  it('pulls a model onto the Ollama server ahead of agents: progress, one pull of a model at a time, a clear failure', async () => {
    const server = await ScriptedServer.start();
    try {
      server.on(
        '/api/pull',
        { ...ollamaPullStream(1000, 4), chunkDelayMs: 30 },
        ollamaError(404, 'pull model manifest: file does not exist'),
      );
      const agents = supervise(await open(), { OLLAMA_HOST: server.url });
      const progress: [string, string, number | undefined][] = [];
      const first = agents.pullModel(undefined, (model, p) => progress.push([model, p.status, p.percent]));
      await expect(agents.pullModel('llama3.2', () => {})).rejects.toMatchObject({ code: 'E_CONFLICT' });
      expect(await first).toBe('llama3.2');
      expect(progress[0]).toEqual(['llama3.2', 'pulling manifest', undefined]);
      expect(progress.flatMap(([, , percent]) => (percent === undefined ? [] : [percent]))).toEqual([
        25, 50, 75, 100,
      ]);
      expect(progress.at(-1)).toEqual(['llama3.2', 'success', undefined]);

      await expect(agents.pullModel('nope', () => {})).rejects.toMatchObject({
        code: 'E_UNAVAILABLE',
        message: expect.stringContaining(
          'pulling nope: ollama answered HTTP 404: pull model manifest: file does not exist',
        ),
      });
      expect(server.requestsTo(/\/api\/pull/).map((r) => (r.body as { name: string }).name)).toEqual([
        'llama3.2',
        'nope',
      ]);
    } finally {
      await server.close();
    }
  });

  it("uses the Ollama server a person chose over OLLAMA_HOST, for statuses, pulls and agents, after a restart too, until 'default'", async () => {
    const fromEnv = await ScriptedServer.start();
    const chosen = await ScriptedServer.start();
    try {
      fromEnv.on('/api/tags', ollamaTags('llama3.2:latest'), ollamaTags('llama3.2:latest'));
      chosen.on('/api/tags', ...Array.from({ length: 3 }, () => ollamaTags('llama3.2:latest', 'qwen2.5:7b')));
      const dir = tempDir('habitat-agents-ollama-host-');
      dirs.push(dir);
      const env = { OLLAMA_HOST: fromEnv.url };
      let agents = supervise(await open(dir.path), env);
      const ollama = (statuses: { name: string }[]) => statuses.find((s) => s.name === 'ollama');
      expect(ollama(await agents.providers())).toMatchObject({
        endpoint: fromEnv.url,
        endpointFrom: 'environment',
      });

      expect(ollama(await agents.setProviderSettings({ ollamaHost: chosen.url }))).toMatchObject({
        endpoint: chosen.url,
        endpointFrom: 'settings',
        ready: true,
        models: ['llama3.2:latest', 'qwen2.5:7b'],
      });
      // kept as URL writes it, and recorded: it redirects every agent's model traffic
      const upper = chosen.url.replace('http://127.0.0.1', 'HTTP://127.0.0.1') + '/';
      expect(ollama(await agents.setProviderSettings({ ollamaHost: upper }))).toMatchObject({
        endpoint: chosen.url,
        endpointFrom: 'settings',
      });
      expect(kernels.at(-1)!.store.setting('ollamaHost')).toBe(chosen.url);
      expect(
        kernels
          .at(-1)!
          .store.latestEvents(null, 10)
          .filter((e) => e.type === 'settings.changed')
          .map((e) => e.payload),
      ).toEqual([{ ollamaHost: chosen.url }, { ollamaHost: chosen.url }]);
      await expect(agents.setProviderSettings({ ollamaHost: 'http://me:pw@gpu-box' })).rejects.toMatchObject({
        code: 'E_INVALID',
      });
      expect(kernels.at(-1)!.store.setting('ollamaHost')).toBe(chosen.url);

      // kept in the data folder: a new kernel on it, and an agent's model calls, go to the chosen server
      await agents.close();
      await kernels.pop()!.close();
      const kernel = await open(dir.path);
      agents = supervise(kernel, env);
      chosen.on(
        '/api/chat',
        ndjson([ollamaCalls([{ name: 'complete', arguments: { summary: 'done' } }]), ollamaDone()]),
      );
      chosen.on('/api/pull', ollamaPullStream(1000, 2));
      expect(await agents.pullModel('qwen2.5:7b', () => {})).toBe('qwen2.5:7b');
      expect(chosen.requestsTo(/\/api\/pull/)).toHaveLength(1);
      const info = await agents.spawn({ network: false, goal: 'say done' }, { provider: 'ollama' });
      await ended(kernel, info.pid);
      expect(kernel.processes.get(info.pid)).toMatchObject({ phase: 'completed' });
      expect(chosen.requestsTo(/\/api\/chat/)).toHaveLength(1);
      expect(fromEnv.requestsTo(/\/api\/(chat|pull)/)).toHaveLength(0);

      expect(ollama(await agents.setProviderSettings({ ollamaHost: null }))).toMatchObject({
        endpoint: fromEnv.url,
        endpointFrom: 'environment',
      });
      expect(kernel.store.setting('ollamaHost')).toBeUndefined();
    } finally {
      await fromEnv.close();
      await chosen.close();
    }
  });

  it("in the desktop app the person's Ollama server and the app's Gemini key both apply; a stored address it would refuse is ignored", async () => {
    const kernel = await open();
    const agents = new AgentSupervisor(kernel, {
      env: { OLLAMA_HOST: 'http://127.0.0.1:9' },
      providerSettings: () => ({ geminiApiKey: 'AIza-from-keychain' }),
    });
    supervisors.push(agents);
    const statuses = await agents.setProviderSettings({ ollamaHost: 'http://127.0.0.1:10' });
    expect(statuses.find((s) => s.name === 'gemini')).toMatchObject({ ready: true, keyFrom: 'settings' });
    expect(statuses.find((s) => s.name === 'ollama')).toMatchObject({
      endpoint: 'http://127.0.0.1:10',
      endpointFrom: 'settings',
    });
    kernel.store.setSetting('ollamaHost', 'http:/127.0.0.1:11'); // written by hand, or by an older version
    expect((await agents.providers()).find((s) => s.name === 'ollama')).toMatchObject({
      endpoint: 'http://127.0.0.1:9',
      endpointFrom: 'environment',
    });
  });
});

describe('agent event publisher', () => {
  const dir = tempDir('habitat-publisher-');
  afterEach(() => undefined);

  it('batches thought text, sends it before the next event, and logs everything but deltas', async () => {
    const kernel = await Kernel.open({ dataDir: dir.path, mode: 'headless', version: 'test' });
    try {
      const info = await kernel.processes.spawn({ network: false });
      const seen = recordAgentEvents(kernel, info.pid);
      const publisher = new AgentEventPublisher(kernel, info.pid, { flushMs: 1000, maxChars: 10 });
      const at = Date.now();
      publisher.publish({ type: 'thought.delta', text: 'Let', at, step: 1 });
      publisher.publish({ type: 'thought.delta', text: ' me ', at, step: 1 });
      expect(seen).toEqual([]); // gathered, not sent per token
      publisher.publish({ type: 'thought.delta', text: 'think.', at, step: 1 }); // 13 chars: over maxChars
      expect(seen).toMatchObject([{ type: 'thought.delta', text: 'Let me think.', step: 1 }]);
      publisher.publish({ type: 'thought.delta', text: 'Done', at, step: 1 });
      publisher.publish({ type: 'thought', text: 'Let me think. Done', at, step: 1 });
      expect(seen.map((e) => e.type)).toEqual(['thought.delta', 'thought.delta', 'thought']);
      expect(seen[1]).toMatchObject({ text: 'Done' });
      expect(seen[0]!.seq).toBeUndefined();
      expect(seen[2]!.seq).toBeGreaterThan(0);
      const logged = kernel.store.latestEvents(info.pid, 10).map((e) => e.type);
      expect(logged).toContain('agent.thought');
      expect(logged).not.toContain('agent.thought.delta');

      // a phase goes to the process table; once the process has ended, events still stream
      publisher.publish({ type: 'phase', phase: 'thinking', at, step: 1 });
      expect(kernel.processes.get(info.pid).phase).toBe('thinking');
      kernel.processes.exit(info.pid, { exitCode: 1, reason: 'gone', phase: 'failed' });
      publisher.publish({ type: 'phase', phase: 'executing', at, step: 1 });
      expect(seen.at(-1)).toMatchObject({ type: 'phase', phase: 'executing' });
      expect(kernel.processes.get(info.pid).phase).toBe('failed');
    } finally {
      await kernel.close();
      dir.cleanup();
    }
  });
});

describe('stored conversation', () => {
  it('keeps images as base64 in the store and gives back their bytes', async () => {
    const { Store } = await import('../../kernel/index.js');
    const store = Store.open(':memory:');
    const log = new StoredConversation(store, 3);
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255]);
    log.append({ role: 'user', content: 'see', images: [{ mimeType: 'image/png', data: png }] });
    log.append({
      role: 'assistant',
      content: '',
      toolCalls: [{ id: 'a', name: 'think', args: { thought: 'x' } }],
    });
    expect(store.messages(3)[0]!.message).toEqual({
      role: 'user',
      content: 'see',
      images: [{ mimeType: 'image/png', data: Buffer.from(png).toString('base64') }],
    });
    const loaded = log.load();
    expect(loaded[0]).toEqual({
      role: 'user',
      content: 'see',
      images: [{ mimeType: 'image/png', data: png }],
    });
    expect(loaded[1]).toEqual({
      role: 'assistant',
      content: '',
      toolCalls: [{ id: 'a', name: 'think', args: { thought: 'x' } }],
    });
    store.appendMessage(3, { role: 'robot', content: 1 });
    expect(() => log.load()).toThrow(); // not a message: the run must not start on it
    store.close();
  });
});
