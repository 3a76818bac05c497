import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../../shared/protocol/index.js';
import { categorize, mergeEntries, summarize } from './logs.js';

const e = (seq: number, type = 'process.signal', payload: unknown = { signal: 'STOP' }): LogEntry => ({
  seq,
  pid: 1,
  type,
  at: seq,
  payload,
});

describe('the timeline', () => {
  it('puts kernel and runtime entries in their category by type', () => {
    expect(categorize(e(1, 'process.started', { state: 'running', phase: 'waiting' }))).toBe('lifecycle');
    expect(categorize(e(1, 'process.exited', { state: 'zombie', phase: 'failed' }))).toBe('error');
    expect(categorize(e(1, 'process.signal'))).toBe('signal');
    expect(categorize(e(1, 'process.exec', { argv: ['ls'] }))).toBe('exec');
    expect(categorize(e(1, 'process.exec.result', {}))).toBe('exec');
    expect(categorize(e(1, 'agent.thought', { text: 'hmm' }))).toBe('thought');
    expect(categorize(e(1, 'agent.tool.call', { tool: 'fs.write' }))).toBe('action');
    expect(categorize(e(1, 'agent.observation', {}))).toBe('observation');
    expect(categorize(e(1, 'agent.approval.requested', {}))).toBe('approval');
    expect(categorize(e(1, 'something.new', {}))).toBe('other');
  });

  it('summarises an entry in one line', () => {
    expect(summarize(e(1))).toBe('signal STOP');
    expect(summarize(e(1, 'process.exec', { argv: ['ls', '-la'] }))).toBe('$ ls -la');
    expect(summarize(e(1, 'process.exec.result', { exitCode: 0, stdout: 'a\nb' }))).toBe('exit 0 · a');
    expect(
      summarize(
        e(1, 'process.exited', { state: 'zombie', phase: 'failed', exitReason: 'killed by signal 9' }),
      ),
    ).toBe('zombie · failed · killed by signal 9');
    expect(summarize(e(1, 'agent.thought', { text: 'read the file first' }))).toBe('read the file first');
    expect(summarize(e(1, 'x', { n: 1 }))).toBe('{"n":1}');
    // the runtime's bookkeeping reads as words, not JSON
    expect(summarize(e(1, 'agent.phase', { type: 'phase', phase: 'waiting', step: 3 }))).toBe('now waiting');
    expect(summarize(e(1, 'agent.approval.resolved', { approved: true, by: 'person' }))).toBe(
      'approved by a person',
    );
    expect(summarize(e(1, 'agent.approval.resolved', { approved: false, by: 'timeout' }))).toBe(
      'denied: nobody decided in time',
    );
    expect(
      summarize(e(1, 'agent.approval.resolved', { approved: false, by: 'person', reason: 'not on main' })),
    ).toBe('denied: not on main');
    expect(summarize(e(1, 'agent.approval.resolved', { approved: true, by: 'person', answer: 'blue' }))).toBe(
      'answered: blue',
    );
    expect(
      summarize(
        e(1, 'agent.usage', { inputTokens: 463, outputTokens: 208, totalInput: 1659, totalOutput: 330 }),
      ),
    ).toBe('463 tokens in, 208 out (run: 1659 in, 330 out)');
  });

  it('merges history and live entries in order, without duplicates, keeping the newest', () => {
    const a = mergeEntries([], [e(1), e(2)], 10);
    expect(mergeEntries(a, [e(3)], 10).map((x) => x.seq)).toEqual([1, 2, 3]);
    expect(mergeEntries(a, [e(2), e(0), e(3)], 10).map((x) => x.seq)).toEqual([0, 1, 2, 3]);
    expect(mergeEntries(a, [e(3), e(4)], 3).map((x) => x.seq)).toEqual([2, 3, 4]);
  });
});
