import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../shared/protocol/index.js';
import { eventFromLog, formatAgentEvent, formatApprovals } from './agentFormat.js';

const at = Date.UTC(2025, 0, 1, 12, 0, 1, 234);
const event = (e: Record<string, unknown>) => ({ pid: 7, seq: 3, at, step: 2, ...e }) as AgentEvent;

describe('agent events for people', () => {
  it('one line per event, tool output indented and clipped, nothing for deltas and usage', () => {
    expect(formatAgentEvent(event({ type: 'phase', phase: 'thinking' }))).toBe('12:00:01.234 [2] thinking');
    expect(
      formatAgentEvent(event({ type: 'tool.call', callId: 'c', tool: 'write_file', args: { path: 'a' } })),
    ).toBe('12:00:01.234 [2] -> write_file {"path":"a"}');
    const long = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n');
    const result = formatAgentEvent(
      event({
        type: 'tool.result',
        callId: 'c',
        tool: 'run_command',
        ok: false,
        output: long,
        durationMs: 42,
        error: { code: 'E_TOOL', message: 'x' },
      }),
    )!;
    expect(result.split('\n')[0]).toBe('12:00:01.234 [2] <- run_command failed (E_TOOL) in 42 ms');
    expect(result.split('\n')[1]).toBe('    line 0');
    expect(result).toContain('… 18 more lines');
    expect(formatAgentEvent(event({ type: 'thought.delta', text: 'x' }))).toBeUndefined();
    expect(
      formatAgentEvent(
        event({ type: 'usage', inputTokens: 1, outputTokens: 1, totalInput: 1, totalOutput: 1 }),
      ),
    ).toBeUndefined();
    expect(
      formatAgentEvent(
        event({
          type: 'approval.requested',
          requestId: 'r',
          callId: 'c',
          tool: 'run_command',
          args: { command: 'rm -rf x' },
          reasons: ['deletes recursively (rm -r)'],
          expiresAt: at,
        }),
      ),
    ).toContain('habitat approve 7');
    expect(
      formatAgentEvent(
        event({
          type: 'end',
          outcome: 'failed',
          reason: 'the agent gave up',
          steps: 2,
          tokens: { input: 5, output: 6 },
          durationMs: 1500,
        }),
      ),
    ).toBe('12:00:01.234 [2] END failed: the agent gave up (2 steps, 1s, 5+6 tokens)');
  });

  it('reads agent events back from log entries, with their seq, and skips the kernel’s own', () => {
    const payload = { type: 'thought', text: 'hm', at, step: 1 };
    expect(eventFromLog({ seq: 12, pid: 7, type: 'agent.thought', at, payload })).toEqual({
      ...payload,
      pid: 7,
      seq: 12,
    });
    expect(eventFromLog({ seq: 13, pid: 7, type: 'process.exited', at, payload: {} })).toBeUndefined();
    expect(
      eventFromLog({ seq: 14, pid: 7, type: 'agent.thought', at, payload: { junk: true } }),
    ).toBeUndefined();
  });

  it('lists waiting approvals as a table', () => {
    expect(formatApprovals([])).toBe('no actions are waiting for approval');
    const text = formatApprovals(
      [
        {
          id: 'r1',
          pid: 7,
          tool: 'run_command',
          args: { command: 'rm -rf x' },
          reasons: ['deletes recursively (rm -r)'],
          requestedAt: at,
          expiresAt: at + 90_000,
        },
      ],
      at,
    );
    expect(text.split('\n')[0]).toMatch(/^PID\s+ID\s+TOOL\s+ACTION\s+WHY\s+DENIED IN$/);
    expect(text.split('\n')[1]).toMatch(
      /^7\s+r1\s+run_command\s+\{"command":"rm -rf x"\}\s+deletes recursively \(rm -r\)\s+1m/,
    );
  });
});
