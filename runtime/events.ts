import type { AgentPhase } from '../shared/protocol/index.js';
import type { ProviderErrorInfo } from './llm/types.js';

/** How a run ended: completed (the goal is done), failed (gave up, errors, budgets), terminated (TERM), killed (KILL). */
export type AgentOutcome = 'completed' | 'failed' | 'terminated' | 'killed';

export interface AgentRunResult {
  outcome: AgentOutcome;
  /** Why, in a sentence for people. */
  reason: string;
  /** The agent's own summary, when it called complete. */
  summary?: string;
  steps: number;
  tokens: { input: number; output: number };
  durationMs: number;
}

/**
 * What a run reports as it goes. `at` is a wall-clock ms timestamp, `step` the model turn (1-based, 0 before the
 * first). These are plain data, ready to become the payload schemas of agent.* events in shared/protocol.
 */
export type AgentEvent = { at: number; step: number } & (
  | { type: 'phase'; phase: AgentPhase }
  | { type: 'thought.delta'; text: string }
  | { type: 'thought'; text: string }
  | { type: 'tool.call'; callId: string; tool: string; args: unknown }
  | {
      type: 'tool.result';
      callId: string;
      tool: string;
      ok: boolean;
      /** What the model read (clipped for events). */
      output: string;
      data?: unknown;
      error?: { code: string; message: string };
      durationMs: number;
    }
  | {
      type: 'approval.requested';
      requestId: string;
      callId: string;
      tool: string;
      args: unknown;
      reasons: string[];
      /** The agent asks a person this (ask_human) instead of leave to act. */
      question?: string;
      expiresAt: number;
    }
  | {
      type: 'approval.resolved';
      requestId: string;
      callId: string;
      approved: boolean;
      by: 'person' | 'timeout' | 'cancelled';
      reason: string;
      /** A question's answer. */
      answer?: string;
    }
  | { type: 'llm.retry'; attempt: number; delayMs: number; error: ProviderErrorInfo }
  | { type: 'llm.error'; error: ProviderErrorInfo }
  | { type: 'usage'; inputTokens: number; outputTokens: number; totalInput: number; totalOutput: number }
  | { type: 'memory'; notes: string }
  | { type: 'warning'; message: string }
  | {
      type: 'model.pull';
      model: string;
      status: string;
      /** For people: "pulling llama3.2: 42% of 2.0 GB". */
      message: string;
      percent?: number;
      completed?: number;
      total?: number;
    }
  | ({ type: 'end' } & AgentRunResult)
);

export type AgentEventType = AgentEvent['type'];

/** Receives a run's events in order; it must not throw (the loop ignores what it throws). */
export type AgentEventSink = (event: AgentEvent) => void;
