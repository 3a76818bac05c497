import { describe, expect, it } from 'vitest';
import { AgentEventSchema, commands, eventSpecForTopic, events, SpawnArgsSchema } from './index.js';

describe('agent protocol', () => {
  it('spawn takes how a goal is run, each optional, and refuses what it does not know', () => {
    expect(
      SpawnArgsSchema.parse({
        goal: 'g',
        provider: 'gemini',
        model: 'gemini-2.5-pro',
        approvalPolicy: 'always',
        maxSteps: 7,
      }),
    ).toMatchObject({ provider: 'gemini', model: 'gemini-2.5-pro', approvalPolicy: 'always', maxSteps: 7 });
    expect(SpawnArgsSchema.parse({ goal: 'g' })).not.toHaveProperty('provider'); // defaults are the runtime's
    expect(SpawnArgsSchema.safeParse({ provider: 'gpt' }).success).toBe(false);
    expect(SpawnArgsSchema.safeParse({ approvalPolicy: 'sometimes' }).success).toBe(false);
    expect(SpawnArgsSchema.safeParse({ maxSteps: 0 }).success).toBe(false);
    expect(SpawnArgsSchema.safeParse({ model: '' }).success).toBe(false);
  });

  it("provider settings take an Ollama server's http(s) URL, or null for the default, and nothing else", () => {
    const args = commands['agent.setProviderSettings'].args;
    for (const ollamaHost of [
      'http://127.0.0.1:11434',
      'https://gpu-box.lan/ollama',
      'http://[::1]:11434',
      null,
    ])
      expect(args.parse({ ollamaHost })).toEqual({ ollamaHost });
    expect(args.parse({})).toEqual({});
    const refused = [
      'ftp://gpu-box:11434',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'gpu-box:11434',
      'http://',
      '',
      `http://${'a'.repeat(2100)}`,
      11434,
    ];
    for (const ollamaHost of refused)
      expect(args.safeParse({ ollamaHost }).success, String(ollamaHost)).toBe(false);
    expect(args.safeParse({ ollamaHost: 'http://x', geminiApiKey: 'k' }).success).toBe(false);
  });

  it('agent events are published per agent and parse every kind the runtime reports', () => {
    expect(eventSpecForTopic('agent.event.12')).toBe(events['agent.event']);
    expect(events['agent.approval'].coalesceBy).toBe('pid');
    const base = { pid: 3, seq: 9, at: 1, step: 2 };
    const samples = [
      { type: 'phase', phase: 'thinking' },
      { type: 'thought.delta', text: 'hm' },
      { type: 'thought', text: 'hm' },
      { type: 'tool.call', callId: 'c', tool: 'write_file', args: { path: 'a' } },
      { type: 'tool.result', callId: 'c', tool: 'write_file', ok: true, output: 'ok', durationMs: 3 },
      {
        type: 'approval.requested',
        requestId: 'r',
        callId: 'c',
        tool: 'run_command',
        args: {},
        reasons: ['deletes recursively (rm -r)'],
        expiresAt: 5,
      },
      {
        type: 'approval.resolved',
        requestId: 'r',
        callId: 'c',
        approved: false,
        by: 'timeout',
        reason: 'late',
      },
      {
        type: 'llm.retry',
        attempt: 1,
        delayMs: 100,
        error: { kind: 'rate_limit', message: '429', provider: 'gemini', status: 429, retryable: true },
      },
      { type: 'llm.error', error: { kind: 'auth', message: 'no', provider: 'gemini', retryable: false } },
      { type: 'usage', inputTokens: 1, outputTokens: 2, totalInput: 1, totalOutput: 2 },
      { type: 'memory', notes: 'n' },
      { type: 'warning', message: 'w' },
      {
        type: 'end',
        outcome: 'completed',
        reason: 'done',
        summary: 's',
        steps: 2,
        tokens: { input: 1, output: 2 },
        durationMs: 9,
      },
    ];
    for (const sample of samples)
      expect(AgentEventSchema.parse({ ...base, ...sample })).toMatchObject(sample);
    expect(AgentEventSchema.safeParse({ ...base, type: 'dream' }).success).toBe(false);
    expect(AgentEventSchema.safeParse({ ...base, type: 'end', outcome: 'paused' }).success).toBe(false);
  });

  it('approve, deny and the others name an agent; memory is capped; conversations are paged', () => {
    expect(commands['agent.approve'].args.parse({ pid: 4 })).toEqual({ pid: 4 });
    expect(commands['agent.deny'].args.safeParse({ pid: 4, reason: 'x', extra: 1 }).success).toBe(false);
    expect(commands['agent.approvals'].args.parse({})).toEqual({});
    expect(commands['agent.setMemory'].args.safeParse({ pid: 1, notes: 'x'.repeat(8001) }).success).toBe(
      false,
    );
    expect(commands['agent.conversation'].args.parse({ pid: 1 })).toEqual({ pid: 1, offset: 0, limit: 100 });
    expect(commands['agent.conversation'].args.safeParse({ pid: 1, limit: 501 }).success).toBe(false);
  });
});
