import { randomUUID } from 'node:crypto';
import { HabitatError } from '../../shared/protocol/index.js';

export interface ApprovalRequest {
  id: string;
  pid: number;
  tool: string;
  args: unknown;
  reasons: string[];
  /** Set when the agent asks a person a question (ask_human) instead of leave to act: answer() resolves it. */
  question?: string;
  requestedAt: number;
  expiresAt: number;
}

export interface ApprovalDecision {
  approved: boolean;
  /** 'person' decided, or the wait ran out ('timeout'), or the agent ended first ('cancelled'). */
  by: 'person' | 'timeout' | 'cancelled';
  /** Why, in words the model will read. */
  reason: string;
  /** A question's answer, as the person wrote it. */
  answer?: string;
}

export type ApprovalChange =
  | { type: 'requested'; request: ApprovalRequest }
  | { type: 'resolved'; request: ApprovalRequest; decision: ApprovalDecision };

interface Pending {
  request: ApprovalRequest;
  settle(decision: ApprovalDecision): void;
}

export const DEFAULT_APPROVAL_TIMEOUT_MS = 10 * 60_000;

/**
 * Where agents wait for a person. One gate serves every agent of a kernel, so `approve(pid)` from the CLI or the UI
 * finds the request without knowing its id; an agent has at most one request open at a time (its loop waits on it).
 * A request that nobody answers in time is denied.
 */
export class ApprovalGate {
  private readonly pending = new Map<string, Pending>();
  private readonly listeners = new Set<(change: ApprovalChange) => void>();

  constructor(private readonly options: { timeoutMs?: number; now?: () => number } = {}) {}

  request(input: {
    pid: number;
    tool: string;
    args: unknown;
    reasons: string[];
    /** A question for a person rather than an action to approve. */
    question?: string;
    timeoutMs?: number;
    signal?: AbortSignal;
    /** Called at once with the request as people will see it (its id and deadline). */
    onRequested?: (request: ApprovalRequest) => void;
  }): Promise<ApprovalDecision> {
    const now = this.options.now?.() ?? Date.now();
    const timeoutMs = input.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
    const request: ApprovalRequest = {
      id: randomUUID(),
      pid: input.pid,
      tool: input.tool,
      args: input.args,
      reasons: input.reasons,
      ...(input.question === undefined ? {} : { question: input.question }),
      requestedAt: now,
      expiresAt: now + timeoutMs,
    };
    return new Promise<ApprovalDecision>((resolve) => {
      const timer = setTimeout(
        () =>
          finish({
            approved: false,
            by: 'timeout',
            reason:
              input.question === undefined
                ? `nobody approved it within ${formatMs(timeoutMs)}, so it was denied`
                : `nobody answered within ${formatMs(timeoutMs)}`,
          }),
        timeoutMs,
      );
      timer.unref?.();
      const onAbort = () =>
        finish({ approved: false, by: 'cancelled', reason: 'the agent was stopped while waiting' });
      const finish = (decision: ApprovalDecision) => {
        if (!this.pending.delete(request.id)) return;
        clearTimeout(timer);
        input.signal?.removeEventListener('abort', onAbort);
        this.notify({ type: 'resolved', request, decision });
        resolve(decision);
      };
      this.pending.set(request.id, { request, settle: finish });
      input.signal?.addEventListener('abort', onAbort, { once: true });
      input.onRequested?.(request);
      this.notify({ type: 'requested', request });
      if (input.signal?.aborted) onAbort();
    });
  }

  /** Approves the agent's open request (or the one named); E_NOT_FOUND when there is none. */
  approve(pid: number, id?: string, note?: string): ApprovalRequest {
    const pending = this.find(pid, id, 'approval');
    if (pending.request.question !== undefined) {
      throw new HabitatError(
        'E_INVALID',
        `process ${pid} asks a question, not leave to act: answer it (habitat answer ${pid} TEXT)`,
        { id: pending.request.id, question: pending.request.question },
      );
    }
    return this.decide(pid, id, {
      approved: true,
      by: 'person',
      reason: note ? `approved: ${note}` : 'approved by a person',
    });
  }

  /** Refuses the open request; for a question, the person declines to answer. */
  deny(pid: number, id?: string, reason?: string): ApprovalRequest {
    const question = this.find(pid, id, 'approval').request.question !== undefined;
    const what = question ? 'a person declined to answer' : 'a person denied it';
    return this.decide(pid, id, {
      approved: false,
      by: 'person',
      reason: reason ? `${what}: ${reason}` : what,
    });
  }

  /** Answers the agent's open question (or the one named); E_INVALID when what waits is an action to approve. */
  answer(pid: number, id: string | undefined, text: string): ApprovalRequest {
    const pending = this.find(pid, id, 'answer');
    if (pending.request.question === undefined) {
      throw new HabitatError(
        'E_INVALID',
        `process ${pid} waits for approval of an action, not for an answer: approve or deny it`,
        { id: pending.request.id, tool: pending.request.tool },
      );
    }
    return this.decide(pid, pending.request.id, {
      approved: true,
      by: 'person',
      reason: 'a person answered',
      answer: text,
    });
  }

  list(pid?: number): ApprovalRequest[] {
    return [...this.pending.values()].map((p) => p.request).filter((r) => pid === undefined || r.pid === pid);
  }

  onChange(listener: (change: ApprovalChange) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private decide(pid: number, id: string | undefined, decision: ApprovalDecision): ApprovalRequest {
    const entry = this.find(pid, id, decision.answer === undefined ? 'approval' : 'answer');
    entry.settle(decision);
    return entry.request;
  }

  private find(pid: number, id: string | undefined, awaited: 'approval' | 'answer'): Pending {
    const entry = [...this.pending.values()].find(
      (p) => p.request.pid === pid && (id === undefined || p.request.id === id),
    );
    if (!entry) {
      throw new HabitatError(
        'E_NOT_FOUND',
        id
          ? `process ${pid} has no ${awaited === 'answer' ? 'question' : 'approval request'} ${id}`
          : `process ${pid} is not waiting for ${awaited === 'answer' ? 'an answer' : 'approval'}`,
      );
    }
    return entry;
  }

  private notify(change: ApprovalChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // a broken listener must not leave an agent waiting forever
      }
    }
  }
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}
