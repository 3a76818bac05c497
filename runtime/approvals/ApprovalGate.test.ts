import { describe, expect, it } from 'vitest';
import { ApprovalGate, type ApprovalChange } from './ApprovalGate.js';
import { needsApproval } from './policy.js';

describe('ApprovalGate', () => {
  const ask = (gate: ApprovalGate, pid = 7, extra: { timeoutMs?: number; signal?: AbortSignal } = {}) =>
    gate.request({
      pid,
      tool: 'run_command',
      args: { command: 'rm -rf x' },
      reasons: ['deletes recursively'],
      ...extra,
    });

  it('holds a request until a person approves it, found by PID alone', async () => {
    const gate = new ApprovalGate();
    const changes: ApprovalChange[] = [];
    gate.onChange((c) => changes.push(c));
    const decision = ask(gate);
    expect(gate.list(7)).toHaveLength(1);
    expect(gate.list(8)).toHaveLength(0);
    const request = gate.approve(7);
    expect(await decision).toEqual({ approved: true, by: 'person', reason: 'approved by a person' });
    expect(request).toMatchObject({ pid: 7, tool: 'run_command', reasons: ['deletes recursively'] });
    expect(gate.list()).toEqual([]);
    expect(changes.map((c) => c.type)).toEqual(['requested', 'resolved']);
  });

  it('carries a question to a person and their answer back; actions and questions are not mixed up', async () => {
    const gate = new ApprovalGate();
    const question = (timeoutMs?: number) =>
      gate.request({
        pid: 3,
        tool: 'ask_human',
        args: { question: 'Which port?' },
        reasons: [],
        question: 'Which port?',
        ...(timeoutMs ? { timeoutMs } : {}),
      });
    const pending = question();
    expect(gate.list(3)).toMatchObject([{ tool: 'ask_human', question: 'Which port?' }]);
    expect(() => gate.approve(3)).toThrow(/asks a question/);
    expect(gate.answer(3, undefined, '8080')).toMatchObject({ pid: 3, question: 'Which port?' });
    expect(await pending).toEqual({
      approved: true,
      by: 'person',
      reason: 'a person answered',
      answer: '8080',
    });

    const declined = question();
    gate.deny(3, undefined, 'not telling');
    expect(await declined).toMatchObject({
      approved: false,
      reason: 'a person declined to answer: not telling',
    });
    expect(await question(20)).toMatchObject({
      approved: false,
      by: 'timeout',
      reason: 'nobody answered within 20 ms',
    });

    const action = ask(gate, 3);
    expect(() => gate.answer(3, undefined, 'yes')).toThrow(/waits for approval of an action/);
    expect(() => gate.answer(4, undefined, 'yes')).toThrow(/not waiting for an answer/);
    gate.approve(3);
    expect((await action).approved).toBe(true);
  });

  it('denies with the reason a person gave', async () => {
    const gate = new ApprovalGate();
    const decision = ask(gate);
    gate.deny(7, undefined, 'not on my machine');
    expect(await decision).toEqual({
      approved: false,
      by: 'person',
      reason: 'a person denied it: not on my machine',
    });
  });

  it('denies when nobody answers in time', async () => {
    const gate = new ApprovalGate({ timeoutMs: 50 });
    const started = Date.now();
    const decision = await ask(gate);
    expect(decision).toMatchObject({ approved: false, by: 'timeout' });
    expect(decision.reason).toMatch(/nobody approved it within 50 ms/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(gate.list()).toEqual([]);
  });

  it('gives up when the agent is killed while it waits', async () => {
    const gate = new ApprovalGate();
    const controller = new AbortController();
    const decision = ask(gate, 7, { signal: controller.signal });
    controller.abort();
    expect(await decision).toMatchObject({ approved: false, by: 'cancelled' });
  });

  it('answers E_NOT_FOUND for an agent that is not waiting, and by id picks the right request', async () => {
    const gate = new ApprovalGate();
    expect(() => gate.approve(3)).toThrow(expect.objectContaining({ code: 'E_NOT_FOUND' }));
    const a = ask(gate, 1);
    const b = ask(gate, 2);
    const [, second] = gate.list();
    expect(() => gate.approve(1, second!.id)).toThrow(/no approval request/);
    gate.approve(2, second!.id);
    expect(await b).toMatchObject({ approved: true });
    gate.deny(1);
    expect(await a).toMatchObject({ approved: false });
    expect(() => gate.deny(1)).toThrow(/not waiting/);
  });
});

describe('needsApproval', () => {
  it.each([
    ['never', false, ['x'], false],
    ['dangerous', false, [], false],
    ['dangerous', false, ['deletes recursively'], true],
    ['dangerous', true, ['x'], true],
    ['always', false, [], true],
    ['always', true, [], false],
  ] as const)('%s, harmless %s, reasons %j: %s', (policy, harmless, reasons, expected) => {
    expect(needsApproval(policy, { harmless, reasons })).toBe(expected);
  });
});
