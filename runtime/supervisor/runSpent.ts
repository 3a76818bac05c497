import type { RunSpent } from '../AgentLoop.js';

/** The part of the kernel's Store this needs: a structural type, so tests may fake it. */
export interface SpentStore {
  eventsSince(
    pid: number,
    afterSeq: number,
    limit?: number,
  ): { seq: number; type: string; at: number; payload: unknown }[];
  messages(pid: number, offset?: number, limit?: number): { seq: number; message: unknown }[];
}

/** How far an agent's run had got: steps done (the one under way included), tokens and time used. */
export interface RunProgress extends RunSpent {
  steps: number;
}

const PAGE = 10_000;

/**
 * How much of its budgets an agent's run had used when the kernel stopped, from what the store keeps: its log
 * (agent.* events) and its conversation. Nothing else is written for it, so it works on logs of older versions too.
 *
 * - steps: the step of its latest phase event (a step under way counts as done: the model turn was asked for), and at
 *   least the model turns in its conversation;
 * - tokens: the totals of its latest usage event (a run's totals include those of the runs it went on from);
 * - time: the time each of its runs was running, from its `booting` phase (or, after a model pull, the pull's last
 *   event: a pull is not counted, as in AgentLoop) to its last logged event. The time the kernel was down is not
 *   counted, nor the time between a run's last logged event and the stop (a model call or a wait for a person in
 *   progress then).
 */
export function runProgress(store: SpentStore, pid: number): RunProgress {
  let step = 0;
  let tokens = { input: 0, output: 0 };
  let durationMs = 0;
  let segment: { from: number; to: number } | undefined;
  for (let after = 0; ;) {
    const page = store.eventsSince(pid, after, PAGE);
    for (const event of page) {
      if (!event.type.startsWith('agent.')) continue;
      const payload = (event.payload ?? {}) as Record<string, unknown>;
      const at = typeof payload.at === 'number' ? payload.at : event.at;
      if (event.type === 'agent.phase') {
        if (payload.phase === 'booting') {
          if (segment) durationMs += segment.to - segment.from;
          segment = { from: at, to: at };
        }
        if (isCount(payload.step)) step = payload.step;
      } else if (event.type === 'agent.model.pull' && segment) {
        segment.from = at; // a run's clock starts once its model is ready: a pull is not counted
      } else if (
        event.type === 'agent.usage' &&
        isCount(payload.totalInput) &&
        isCount(payload.totalOutput)
      ) {
        tokens = { input: payload.totalInput, output: payload.totalOutput };
      }
      // (warnings are left out: the supervisor's note that a run goes on comes before that run's booting)
      if (segment && at > segment.to && event.type !== 'agent.warning') segment.to = at;
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.seq;
  }
  if (segment) durationMs += segment.to - segment.from;
  return { steps: Math.max(step, modelTurns(store, pid)), tokens, durationMs };
}

/** The model turns (assistant messages) in the agent's stored conversation. */
function modelTurns(store: SpentStore, pid: number): number {
  let turns = 0;
  for (let offset = 0; ;) {
    const page = store.messages(pid, offset, PAGE);
    for (const entry of page) if ((entry.message as { role?: unknown } | null)?.role === 'assistant') turns++;
    if (page.length < PAGE) return turns;
    offset = page[page.length - 1]!.seq + 1;
  }
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}
