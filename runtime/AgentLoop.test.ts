import { describe, expect, it } from 'vitest';
import { LoopControl } from '../kernel/index.js';
import { AgentLoop, type AgentLoopOptions } from './AgentLoop.js';
import { ApprovalGate } from './approvals/index.js';
import { InMemoryConversation } from './conversation/index.js';
import type { AgentEvent } from './events.js';
import { ProviderError } from './llm/errors.js';
import { ScriptedProvider, type ScriptedReply } from './llm/scripted.js';
import type { ChatMessage } from './llm/types.js';
import { InMemoryMemory } from './memory/index.js';
import { coreTools } from './tools/index.js';
import { FakeHost } from './tools/testing/FakeHost.js';

const call = (name: string, args: unknown): ScriptedReply => ({ toolCalls: [{ name, args }] });
const done = (summary = 'done', success = true): ScriptedReply => ({
  text: 'finishing',
  toolCalls: [{ name: 'complete', args: { summary, success } }],
});

function setup(
  script: ConstructorParameters<typeof ScriptedProvider>[0],
  options: Partial<AgentLoopOptions> = {},
  providerOptions = {},
) {
  const events: AgentEvent[] = [];
  const host = new FakeHost();
  const control = new LoopControl();
  const provider = new ScriptedProvider(script, providerOptions);
  const conversation = new InMemoryConversation();
  const loop = new AgentLoop({
    goal: 'test goal',
    provider,
    tools: coreTools(),
    host,
    control,
    conversation,
    sink: (e) => events.push(e),
    ...options,
  });
  const phases = () => events.filter((e) => e.type === 'phase').map((e) => (e as { phase: string }).phase);
  const ofType = <T extends AgentEvent['type']>(type: T) =>
    events.filter((e): e is Extract<AgentEvent, { type: T }> => e.type === type);
  return { events, host, control, provider, conversation, loop, phases, ofType };
}

const until = async (check: () => boolean, ms = 3000) => {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('AgentLoop', () => {
  it('thinks, acts and observes until complete, reporting phases, streamed thoughts, tool calls and results', async () => {
    const t = setup([
      {
        text: 'I will write it.',
        toolCalls: [{ name: 'write_file', args: { path: 'a.txt', content: 'hi' } }],
      },
      done('wrote a.txt'),
    ]);
    const result = await t.loop.run();
    expect(result).toMatchObject({
      outcome: 'completed',
      reason: 'the agent completed its goal',
      summary: 'wrote a.txt',
      steps: 2,
    });
    expect(t.host.files.data.get('a.txt')).toBe('hi');
    expect(t.phases()).toEqual([
      'booting',
      'thinking',
      'executing',
      'observing',
      'thinking',
      'executing',
      'observing',
      'completed',
    ]);
    expect(t.ofType('thought.delta')[0]).toMatchObject({ text: 'I will write it.', step: 1 });
    expect(t.ofType('tool.call')[0]).toMatchObject({
      tool: 'write_file',
      args: { path: 'a.txt', content: 'hi' },
      step: 1,
    });
    expect(t.ofType('tool.result')[0]).toMatchObject({
      tool: 'write_file',
      ok: true,
      output: 'wrote 2 bytes to a.txt (now 2 bytes)',
    });
    expect(t.events.at(-1)).toMatchObject({ type: 'end', outcome: 'completed' });
    // the system prompt names the goal and the tools; the conversation holds every message in order
    expect(t.provider.requests[0]!.system).toContain('Your goal: test goal');
    expect(t.provider.requests[0]!.tools).toContain('run_command');
    expect(t.conversation.messages.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'tool',
      'assistant',
      'tool',
    ]);
  });

  it('reports malformed tool calls back to the model as tool errors, and fails after too many in a row', async () => {
    const t = setup([call('delete_everything', {}), call('write_file', { path: 'a.txt' }), done()]);
    const result = await t.loop.run();
    expect(result.outcome).toBe('completed');
    const errors = t.provider.requests[2]!.messages.filter(
      (m): m is Extract<ChatMessage, { role: 'tool' }> => m.role === 'tool',
    );
    expect(errors.map((m) => [m.isError, m.content])).toEqual([
      [true, expect.stringMatching(/^there is no tool named "delete_everything"/)],
      [true, expect.stringMatching(/^invalid arguments for write_file: content/)],
    ]);
    expect(
      t
        .ofType('tool.result')
        .slice(0, 2)
        .map((e) => e.error?.code),
    ).toEqual(['E_INVALID', 'E_INVALID']);

    const stubborn = setup(() => call('nope', {}));
    expect(await stubborn.loop.run()).toMatchObject({
      outcome: 'failed',
      reason: 'the model made 5 malformed tool calls in a row',
      steps: 5,
    });
  });

  it('turns tool failures into errors the model reads, and goes on', async () => {
    const t = setup([call('read_file', { path: 'missing.txt' }), done()]);
    await t.loop.run();
    const result = t.ofType('tool.result')[0]!;
    expect(result).toMatchObject({ ok: false, error: { code: 'E_NOT_FOUND' } });
    expect(t.provider.requests[1]!.messages.at(-1)).toMatchObject({
      role: 'tool',
      isError: true,
      content: 'E_NOT_FOUND: ~/missing.txt does not exist',
    });
  });

  it('reminds a model that answers without tools, then takes its answer as the summary', async () => {
    const t = setup([{ text: 'Hello!' }, { text: 'Still here.' }, { text: 'All done, the file exists.' }]);
    const result = await t.loop.run();
    expect(result).toMatchObject({ outcome: 'completed', summary: 'All done, the file exists.', steps: 3 });
    expect(t.provider.requests[1]!.messages.at(-1)!.content).toMatch(
      /^\[habitat\] You answered without calling a tool/,
    );
    expect(t.ofType('warning')).toHaveLength(1);
  });

  it('fails a model that gives empty answers, never taking them for a summary', async () => {
    const empty = { text: '  ', finishReason: 'STOP' };
    const t = setup([empty, empty, empty]);
    expect(await t.loop.run()).toMatchObject({
      outcome: 'failed',
      reason: 'the model gave 3 empty answers in a row (no text, no tool call, finish reason STOP)',
      steps: 3,
    });
    expect(t.provider.requests[1]!.messages.at(-1)!.content).toMatch(/^\[habitat\] Your answer was empty/);
    expect(t.ofType('warning')).toHaveLength(0);

    const talked = setup([{ text: 'Hello!' }, { text: 'Still here.' }, { finishReason: 'MAX_TOKENS' }]);
    expect(await talked.loop.run()).toMatchObject({
      outcome: 'failed',
      reason:
        'the model stopped without calling complete: its last answer was empty (no text, no tool call, finish reason MAX_TOKENS)',
    });
    expect(talked.loop.steps).toBe(3);

    const recovered = setup([{}, {}, { text: 'All done.' }]);
    expect(await recovered.loop.run()).toMatchObject({ outcome: 'completed', summary: 'All done.' });
  });

  it('asks again after a call the API itself found malformed', async () => {
    const t = setup([{ finishReason: 'MALFORMED_FUNCTION_CALL' }, done()]);
    expect((await t.loop.run()).outcome).toBe('completed');
    expect(t.provider.requests[1]!.messages.at(-1)!.content).toMatch(/malformed/);
  });

  it('fails with a clear reason when the model fails, after the provider reported its retries', async () => {
    const t = setup([
      async (request) => {
        request.onEvent?.({
          type: 'retry',
          attempt: 2,
          delayMs: 100,
          error: new ProviderError('rate_limit', 'slow down', 'scripted', 429).info(),
        });
        return { error: new ProviderError('server', 'scripted answered HTTP 500: boom', 'scripted', 500) };
      },
    ]);
    const result = await t.loop.run();
    expect(result).toMatchObject({
      outcome: 'failed',
      reason: 'the model (scripted) failed: scripted answered HTTP 500: boom',
    });
    expect(t.ofType('llm.retry')[0]).toMatchObject({ attempt: 2, error: { kind: 'rate_limit' } });
    expect(t.ofType('llm.error')[0]).toMatchObject({ error: { kind: 'server', status: 500 } });
    expect(t.phases().at(-1)).toBe('failed');
  });

  it('a complete with success false is a failure with the agent’s reason', async () => {
    const t = setup([done('no network here', false)]);
    expect(await t.loop.run()).toMatchObject({
      outcome: 'failed',
      reason: 'the agent gave up: no network here',
      summary: 'no network here',
    });
  });

  describe('budgets', () => {
    it('steps', async () => {
      const t = setup(() => call('think', { thought: 'hmm' }), { budgets: { maxSteps: 3 } });
      expect(await t.loop.run()).toMatchObject({
        outcome: 'failed',
        reason: 'the step budget (3 steps) ran out before the goal was done',
        steps: 3,
      });
    });

    it('tokens', async () => {
      const t = setup(
        () => ({ ...call('think', { thought: 'hmm' }), usage: { inputTokens: 500, outputTokens: 100 } }),
        { budgets: { maxTokens: 1000 } },
      );
      const result = await t.loop.run();
      expect(result).toMatchObject({ outcome: 'failed', steps: 2, tokens: { input: 1000, output: 200 } });
      expect(result.reason).toMatch(/token budget \(1000 tokens\) ran out: 1200 used/);
    });

    it('time, aborting the model call in flight', async () => {
      const t = setup(
        () => call('think', { thought: 'slow' }),
        { budgets: { maxDurationMs: 150 } },
        { delayMs: 10_000 },
      );
      const started = Date.now();
      const result = await t.loop.run();
      expect(result).toMatchObject({
        outcome: 'failed',
        reason: 'the time budget (150 ms) ran out before the goal was done',
        steps: 1,
      });
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('a run that goes on (firstStep, spent) counts on from what was used before', async () => {
      const t = setup(
        () => ({ ...call('think', { thought: 'hmm' }), usage: { inputTokens: 100, outputTokens: 10 } }),
        {
          budgets: { maxSteps: 5, maxTokens: 10_000 },
          firstStep: 4,
          spent: { tokens: { input: 3000, output: 300 }, durationMs: 60_000 },
        },
      );
      const result = await t.loop.run();
      expect(result).toMatchObject({
        outcome: 'failed',
        reason: 'the step budget (5 steps) ran out before the goal was done',
        steps: 5,
        tokens: { input: 3100, output: 310 },
      });
      expect(result.durationMs).toBeGreaterThanOrEqual(60_000);
      expect(t.provider.requests).toHaveLength(1);
      expect(t.ofType('usage')).toMatchObject([{ step: 5, totalInput: 3100, totalOutput: 310 }]);
      expect(t.ofType('phase')[0]).toMatchObject({ phase: 'booting', step: 4 });
    });

    it('tokens used before count against the token budget', async () => {
      const t = setup(() => call('think', { thought: 'hmm' }), {
        budgets: { maxTokens: 1000 },
        spent: { tokens: { input: 900, output: 100 }, durationMs: 0 },
      });
      const result = await t.loop.run();
      expect(result).toMatchObject({ outcome: 'failed', steps: 0 });
      expect(result.reason).toMatch(/token budget \(1000 tokens\) ran out: 1000 used/);
      expect(t.provider.requests).toHaveLength(0);
    });

    it('time used before counts against the time budget: only what is left is given', async () => {
      const t = setup(
        () => call('think', { thought: 'slow' }),
        { budgets: { maxDurationMs: 10_000 }, spent: { tokens: { input: 0, output: 0 }, durationMs: 9_850 } },
        { delayMs: 10_000 },
      );
      const started = Date.now();
      const result = await t.loop.run();
      expect(result).toMatchObject({
        outcome: 'failed',
        reason: 'the time budget (10 s) ran out before the goal was done',
      });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(result.durationMs).toBeGreaterThanOrEqual(10_000);
    });
  });

  describe('signals (LoopControl)', () => {
    it('STOP holds the agent between steps and before any tool; CONT resumes', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const t = setup([
        async () => {
          await gate;
          return call('write_file', { path: 'a.txt', content: 'x' });
        },
        done(),
      ]);
      const run = t.loop.run();
      await until(() => t.phases().includes('thinking'));
      t.control.pause(); // STOP arrives while the model thinks
      release();
      await new Promise((r) => setTimeout(r, 150));
      expect(t.host.files.data.has('a.txt')).toBe(false); // no tool ran while stopped
      expect(t.provider.requests).toHaveLength(1);
      t.control.resume();
      expect((await run).outcome).toBe('completed');
      expect(t.host.files.data.get('a.txt')).toBe('x');
    });

    it('STOP between steps: no model call while stopped', async () => {
      const t = setup([call('think', { thought: 'one' }), done()], {}, { delayMs: 50 });
      t.control.pause();
      const run = t.loop.run();
      await new Promise((r) => setTimeout(r, 100));
      expect(t.provider.requests).toHaveLength(0);
      expect(t.phases()).toEqual(['booting']);
      t.control.resume();
      expect((await run).outcome).toBe('completed');
    });

    it('TERM lets the current step finish, then ends', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const t = setup([
        async () => {
          await gate;
          return {
            toolCalls: [
              { name: 'write_file', args: { path: 'a.txt', content: '1' } },
              { name: 'write_file', args: { path: 'b.txt', content: '2' } },
            ],
          };
        },
        done(),
      ]);
      const run = t.loop.run();
      await until(() => t.phases().includes('thinking'));
      t.control.terminate();
      release();
      const result = await run;
      expect(result).toMatchObject({ outcome: 'terminated', steps: 1 });
      expect([...t.host.files.data.keys()]).toEqual(['a.txt', 'b.txt']); // the whole step ran
      expect(t.provider.requests).toHaveLength(1);
      expect(t.phases().at(-1)).toBe('failed');
    });

    it('TERM while stopped ends without running anything more', async () => {
      const t = setup([call('think', { thought: 'x' }), done()]);
      t.control.pause();
      const run = t.loop.run();
      await new Promise((r) => setTimeout(r, 30));
      t.control.terminate();
      expect(await run).toMatchObject({ outcome: 'terminated', steps: 0 });
    });

    it('KILL aborts at once: the model call in flight and a running command', async () => {
      const thinking = setup([call('think', { thought: 'x' })], {}, { delayMs: 10_000 });
      const run = thinking.loop.run();
      await until(() => thinking.phases().includes('thinking'));
      thinking.control.kill();
      expect(await run).toMatchObject({ outcome: 'killed', reason: 'killed (KILL)' });

      const events: AgentEvent[] = [];
      const control = new LoopControl();
      const host = new FakeHost(
        1,
        (_cmd, options) =>
          new Promise((_resolve, reject) =>
            options.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
          ),
      );
      const loop = new AgentLoop({
        goal: 'g',
        provider: new ScriptedProvider([call('run_command', { command: 'sleep 100' })]),
        tools: coreTools(),
        host,
        control,
        sink: (e) => events.push(e),
      });
      const running = loop.run();
      await until(() => host.commands.length === 1);
      const started = Date.now();
      control.kill();
      expect(await running).toMatchObject({ outcome: 'killed' });
      expect(Date.now() - started).toBeLessThan(500);
    });
  });

  describe('approvals', () => {
    const dangerous = () => [call('run_command', { command: 'rm -rf build' }), done()];

    it('waits in phase waiting until a person approves, then runs the action', async () => {
      const gate = new ApprovalGate();
      const t = setup(dangerous(), { approvals: { policy: 'dangerous', gate } });
      const run = t.loop.run();
      await until(() => gate.list(1).length === 1);
      expect(t.phases().at(-1)).toBe('waiting');
      expect(t.host.commands).toHaveLength(0);
      expect(t.ofType('approval.requested')[0]).toMatchObject({
        tool: 'run_command',
        reasons: ['deletes recursively (rm -r)'],
      });
      gate.approve(1);
      expect((await run).outcome).toBe('completed');
      expect(t.host.commands).toHaveLength(1);
      expect(t.ofType('approval.resolved')[0]).toMatchObject({ approved: true, by: 'person' });
      expect(t.phases()).toEqual([
        'booting',
        'thinking',
        'executing',
        'waiting',
        'executing',
        'observing',
        'thinking',
        'executing',
        'observing',
        'completed',
      ]);
    });

    it('a denial reaches the model as a refusal and nothing runs', async () => {
      const gate = new ApprovalGate();
      const t = setup(dangerous(), { approvals: { policy: 'dangerous', gate } });
      const run = t.loop.run();
      await until(() => gate.list(1).length === 1);
      gate.deny(1, undefined, 'keep the build');
      await run;
      expect(t.host.commands).toHaveLength(0);
      expect(t.provider.requests[1]!.messages.at(-1)).toMatchObject({
        role: 'tool',
        isError: true,
        content: 'not run: a person denied it: keep the build',
      });
      expect(t.ofType('tool.result')[0]).toMatchObject({ ok: false, error: { code: 'E_DENIED' } });
    });

    it('the timeout denies', async () => {
      const gate = new ApprovalGate();
      const t = setup(dangerous(), { approvals: { policy: 'dangerous', gate, timeoutMs: 80 } });
      await t.loop.run();
      expect(t.host.commands).toHaveLength(0);
      expect(t.ofType('approval.resolved')[0]).toMatchObject({ approved: false, by: 'timeout' });
      expect(t.provider.requests[1]!.messages.at(-1)!.content).toMatch(
        /^not run: nobody approved it within 80 ms, so it was denied/,
      );
    });

    it('policy never runs dangerous actions unasked; always asks even for safe ones (not for harmless tools)', async () => {
      const gate = new ApprovalGate();
      const never = setup(dangerous(), { approvals: { policy: 'never', gate } });
      await never.loop.run();
      expect(never.host.commands).toHaveLength(1);
      expect(never.ofType('approval.requested')).toHaveLength(0);

      const always = setup(
        [call('read_file', { path: 'x' }), call('run_command', { command: 'ls' }), done()],
        { approvals: { policy: 'always', gate, timeoutMs: 50 } },
      );
      await always.loop.run();
      expect(always.ofType('approval.requested').map((e) => [e.tool, e.reasons])).toEqual([
        ['run_command', ["the approval policy is 'always'"]],
      ]);
    });

    it('KILL while waiting ends the wait and the run', async () => {
      const gate = new ApprovalGate();
      const t = setup(dangerous(), { approvals: { policy: 'dangerous', gate } });
      const run = t.loop.run();
      await until(() => gate.list(1).length === 1);
      t.control.kill();
      expect(await run).toMatchObject({ outcome: 'killed' });
      expect(gate.list()).toEqual([]);
    });
  });

  describe('conversation and memory', () => {
    it('persists every message and resumes a cut-off run, answering calls that never got a result', async () => {
      const conversation = new InMemoryConversation([
        { role: 'user', content: 'test goal' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [
            { id: 'c0', name: 'think', args: { thought: 'x' } },
            { id: 'c1', name: 'run_command', args: { command: 'make' } },
          ],
        },
        { role: 'tool', callId: 'c0', name: 'think', content: 'noted' },
      ]);
      const t = setup([done('resumed')], { conversation });
      expect(await t.loop.run()).toMatchObject({ outcome: 'completed', summary: 'resumed' });
      const sent = t.provider.requests[0]!.messages;
      expect(sent).toHaveLength(4);
      expect(sent[3]).toMatchObject({
        role: 'tool',
        callId: 'c1',
        isError: true,
        content: expect.stringMatching(/^interrupted/),
      });
      expect(conversation.messages.filter((m) => m.role === 'user')).toHaveLength(1); // the goal is not repeated
    });

    it('keeps notes in memory and shows them in the next system prompt', async () => {
      const memory = new InMemoryMemory('- the user likes short answers\n');
      const t = setup([call('memory', { action: 'add', text: '- the repo lives in ~/web' }), done()], {
        memory,
      });
      await t.loop.run();
      expect(t.provider.requests[0]!.system).toContain('<memory>\n- the user likes short answers\n</memory>');
      expect(t.provider.requests[1]!.system).toContain(
        '- the user likes short answers\n- the repo lives in ~/web\n</memory>',
      );
      expect(t.ofType('memory')[0]!.notes).toBe(
        '- the user likes short answers\n- the repo lives in ~/web\n',
      );
    });
  });

  it('a throwing sink does not break the run', async () => {
    const t = setup([done()], {
      sink: () => {
        throw new Error('listener bug');
      },
    });
    expect((await t.loop.run()).outcome).toBe('completed');
  });
});
