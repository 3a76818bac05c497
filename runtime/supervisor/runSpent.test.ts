import { describe, expect, it } from 'vitest';
import { runProgress, type SpentStore } from './runSpent.js';

/** A store holding one agent's log and conversation, as the kernel's would. */
function store(
  events: { type: string; at: number; payload: Record<string, unknown> }[],
  messages: unknown[] = [],
): SpentStore {
  const log = events.map((e, i) => ({ seq: i + 1, ...e }));
  return {
    eventsSince: (_pid, after, limit = 500) => log.filter((e) => e.seq > after).slice(0, limit),
    messages: (_pid, offset = 0, limit = 10_000) =>
      messages.slice(offset, offset + limit).map((message, i) => ({ seq: offset + i, message })),
  };
}

const phase = (at: number, step: number, name: string) => ({
  type: 'agent.phase',
  at,
  payload: { type: 'phase', phase: name, at, step },
});
const usage = (at: number, step: number, totalInput: number, totalOutput: number) => ({
  type: 'agent.usage',
  at,
  payload: { type: 'usage', at, step, inputTokens: 1, outputTokens: 1, totalInput, totalOutput },
});

describe('runProgress: what a run had used when the kernel stopped', () => {
  it('is nothing for an agent that logged nothing', () => {
    expect(runProgress(store([]), 1)).toEqual({ steps: 0, tokens: { input: 0, output: 0 }, durationMs: 0 });
  });

  it('counts the step under way, the latest token totals, and the time of each run, not the time between', () => {
    const progress = runProgress(
      store([
        { type: 'process.spawned', at: 0, payload: {} },
        phase(1_000, 0, 'booting'),
        phase(1_100, 1, 'thinking'),
        usage(2_000, 1, 100, 10),
        phase(2_000, 1, 'executing'),
        phase(2_500, 2, 'thinking'), // the kernel stopped here, during step 2
        { type: 'kernel.boot', at: 100_000, payload: {} }, // not the agent's: never counted
        {
          type: 'agent.warning',
          at: 100_000,
          payload: { type: 'warning', at: 100_000, step: 2, message: 'x' },
        },
        phase(100_010, 2, 'booting'),
        phase(100_020, 3, 'thinking'),
        usage(100_510, 3, 250, 25),
        phase(100_510, 3, 'waiting'), // and here, waiting for a person
      ]),
      1,
    );
    expect(progress).toEqual({ steps: 3, tokens: { input: 250, output: 25 }, durationMs: 1_500 + 500 });
  });

  it('leaves out the time its model was being pulled, as the loop does', () => {
    const pull = (at: number) => ({
      type: 'agent.model.pull',
      at,
      payload: { type: 'model.pull', at, step: 0, model: 'm', status: 'pulling', message: 'm: pulling' },
    });
    const progress = runProgress(
      store([
        phase(0, 0, 'booting'),
        pull(10),
        pull(50_000),
        phase(50_100, 1, 'thinking'),
        phase(50_400, 1, 'executing'),
      ]),
      1,
    );
    expect(progress.durationMs).toBe(400);
  });

  it('after a rollback, the step is the one it went back to and on from there', () => {
    const progress = runProgress(
      store([
        phase(0, 0, 'booting'),
        phase(10, 5, 'thinking'),
        usage(20, 5, 500, 50),
        phase(30, 2, 'booting'), // rolled back to step 2
        phase(40, 3, 'thinking'),
      ]),
      1,
    );
    expect(progress.steps).toBe(3);
    expect(progress.tokens).toEqual({ input: 500, output: 50 });
  });

  it('counts at least the model turns in the conversation (a log of an older version that counted from 0)', () => {
    const messages = [
      { role: 'user', content: 'goal' },
      { role: 'assistant', content: '', toolCalls: [] },
      { role: 'assistant', content: 'hi' },
      { role: 'user', content: 'note' },
      { role: 'assistant', content: 'again' },
    ];
    expect(runProgress(store([phase(0, 0, 'booting'), phase(5, 1, 'thinking')], messages), 1).steps).toBe(3);
  });
});
