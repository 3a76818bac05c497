import { randomUUID } from 'node:crypto';
import { HabitatError } from '../../shared/protocol/index.js';

export interface ApprovalRequest {
  id: string;
  pid: number;
  tool: string;
  args: unknown;
  reasons: string[];
  requestedAt: number;
  expiresAt: number;
}

export interface ApprovalDecision {
  approved: boolean;
  /** 'person' decided, or the wait ran out ('timeout'), or the agent ended first ('cancelled'). */
  by: 'person' | 'timeout' | 'cancelled';
  /** Why, in words the model will read. */
  reason: string;
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
      requestedAt: now,
      expiresAt: now + timeoutMs,
    };
    return new Promise<ApprovalDecision>((resolve) => {
      const timer = setTimeout(
        () =>
          finish({
            approved: false,
            by: 'timeout',
            reason: `nobody approved it within ${formatMs(timeoutMs)}, so it was denied`,
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
    return this.decide(pid, id, {
      approved: true,
      by: 'person',
      reason: note ? `approved: ${note}` : 'approved by a person',
    });
  }

  deny(pid: number, id?: string, reason?: string): ApprovalRequest {
    return this.decide(pid, id, {
      approved: false,
      by: 'person',
      reason: reason ? `a person denied it: ${reason}` : 'a person denied it',
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
    const entry = [...this.pending.values()].find(
      (p) => p.request.pid === pid && (id === undefined || p.request.id === id),
    );
    if (!entry) {
      throw new HabitatError(
        'E_NOT_FOUND',
        id ? `process ${pid} has no approval request ${id}` : `process ${pid} is not waiting for approval`,
      );
    }
    entry.settle(decision);
    return entry.request;
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
