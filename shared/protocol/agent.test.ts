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
      'HTTP://[::1]:11434/',
      null,
    ])
      expect(args.parse({ ollamaHost })).toEqual({ ollamaHost });
    expect(args.parse({})).toEqual({});
    const refused: [unknown, string][] = [
      ['ftp://gpu-box:11434', 'must be an http:// or https:// URL'],
      ['javascript:alert(1)', 'must be an http:// or https:// URL'],
      ['file:///etc/passwd', 'must be an http:// or https:// URL'],
      ['gpu-box:11434', 'must be an http:// or https:// URL'],
      // URL() reads these as http URLs, the client as host names
      ['http:gpu-box:11434', 'must be an http:// or https:// URL'],
      ['http:/gpu-box:11434', 'must be an http:// or https:// URL'],
      ['http://', 'must be an http:// or https:// URL'],
      ['', 'must be an http:// or https:// URL'],
      [' http://gpu-box', 'must be an http:// or https:// URL'],
      ['http://gpu\tbox:11434', 'must be an http:// or https:// URL'],
      ['http://me:s3cret@gpu-box:11434', 'must not hold a user name or password'],
      ['http://me@gpu-box:11434', 'must not hold a user name or password'],
      ['http://gpu-box:11434/?token=x', 'must not hold a query or a fragment'],
      ['http://gpu-box:11434#x', 'must not hold a query or a fragment'],
      [`http://${'a'.repeat(2100)}`, 'is too long'],
      [11434, 'expected string'],
    ];
    for (const [ollamaHost, message] of refused) {
      const parsed = args.safeParse({ ollamaHost });
      expect(parsed.success, String(ollamaHost)).toBe(false);
      expect(parsed.error?.issues[0]?.message, String(ollamaHost)).toContain(message);
    }
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
