// How an agent's log entries are grouped, coloured and summarised. Kernel entries are process.*; the agent runtime
// adds its own types (thoughts, tool calls, observations, approvals), which land in their category by name, so new
// event types need no change here to be shown sensibly.
import type { LogEntry } from '../../../shared/protocol/index.js';

export type LogCategory =
  'lifecycle' | 'signal' | 'exec' | 'thought' | 'action' | 'observation' | 'approval' | 'error' | 'other';

export const CATEGORIES: { id: LogCategory; label: string }[] = [
  { id: 'lifecycle', label: 'Lifecycle' },
  { id: 'signal', label: 'Signals' },
  { id: 'exec', label: 'Commands' },
  { id: 'thought', label: 'Thoughts' },
  { id: 'action', label: 'Actions' },
  { id: 'observation', label: 'Observations' },
  { id: 'approval', label: 'Approvals' },
  { id: 'error', label: 'Errors' },
  { id: 'other', label: 'Other' },
];

export function categorize(entry: Pick<LogEntry, 'type' | 'payload'>): LogCategory {
  const type = entry.type.toLowerCase();
  const payload = entry.payload as
    { phase?: unknown; exitCode?: unknown; error?: unknown } | null | undefined;
  if (
    /(error|fail|lost)/.test(type) ||
    payload?.phase === 'failed' ||
    (typeof payload?.error === 'string' && payload.error)
  )
    return 'error';
  if (/approv/.test(type)) return 'approval';
  if (/(thought|think|plan|reason)/.test(type)) return 'thought';
  if (/(observ|\.result$)/.test(type) && !type.startsWith('process.exec')) return 'observation';
  if (/(action|tool|act\b|call)/.test(type)) return 'action';
  if (type.startsWith('process.exec')) return 'exec';
  if (type.startsWith('process.signal')) return 'signal';
  if (/^process\.(spawned|started|exited|reaped|reattached|created)/.test(type)) return 'lifecycle';
  return 'other';
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

/** One line that says what happened; the full payload is one click away. */
export function summarize(entry: Pick<LogEntry, 'type' | 'payload'>): string {
  const p = (entry.payload ?? {}) as Record<string, unknown>;
  switch (entry.type) {
    case 'process.signal':
      return `signal ${String(p.signal)}`;
    case 'process.signal.failed':
      return `signal ${String(p.signal)} failed: ${String(p.error)}`;
    case 'process.exec':
      return `$ ${Array.isArray(p.argv) ? p.argv.join(' ') : ''}`;
    case 'process.exec.result': {
      const out = (text(p.stdout) ?? text(p.stderr) ?? '').trim().split('\n')[0] ?? '';
      const how = p.timedOut
        ? 'timed out'
        : p.signal
          ? `signal ${String(p.signal)}`
          : `exit ${String(p.exitCode)}`;
      return `${how}${out ? ` · ${out.slice(0, 160)}` : ''}`;
    }
    case 'process.started':
    case 'process.exited':
    case 'process.reaped':
    case 'process.reattached':
    case 'process.lost':
      return [p.state, p.phase, text(p.exitReason) ?? text(p.reason)].filter(Boolean).join(' · ');
  }
  // the agent runtime's bookkeeping, said in words rather than as its JSON
  if (entry.type.endsWith('.phase') && typeof p.phase === 'string') return `now ${p.phase}`;
  if (entry.type.endsWith('approval.resolved')) {
    if (typeof p.answer === 'string') return `answered: ${p.answer.slice(0, 200)}`;
    if (p.approved === true) return p.by === 'person' ? 'approved by a person' : 'approved';
    const why = text(p.reason) ?? (p.by === 'timeout' ? 'nobody decided in time' : undefined);
    return why ? `denied: ${why.slice(0, 200)}` : 'denied';
  }
  if (entry.type.endsWith('.usage') && typeof p.inputTokens === 'number') {
    return `${String(p.inputTokens)} tokens in, ${String(p.outputTokens)} out (run: ${String(p.totalInput)} in, ${String(p.totalOutput)} out)`;
  }
  // agent runtime entries and anything new: the most telling text field, else the payload
  const telling =
    text(p.text) ?? text(p.thought) ?? text(p.message) ?? text(p.summary) ?? text(p.tool) ?? text(p.name);
  if (telling) return telling.length > 300 ? `${telling.slice(0, 300)}…` : telling;
  if (entry.payload === undefined || entry.payload === null) return '';
  const json = JSON.stringify(entry.payload);
  return json.length > 300 ? `${json.slice(0, 300)}…` : json;
}

/** Merges new entries into a log: ordered by sequence, no duplicates, at most `max` kept (the newest). */
export function mergeEntries(current: LogEntry[], incoming: LogEntry[], max: number): LogEntry[] {
  if (incoming.length === 0) return current;
  const last = current[current.length - 1]?.seq ?? -1;
  const inOrder = incoming.every((e, i) => e.seq > (i === 0 ? last : incoming[i - 1]!.seq));
  let merged: LogEntry[];
  if (inOrder) merged = [...current, ...incoming];
  else {
    const bySeq = new Map<number, LogEntry>();
    for (const e of current) bySeq.set(e.seq, e);
    for (const e of incoming) bySeq.set(e.seq, e);
    merged = [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }
  return merged.length > max ? merged.slice(merged.length - max) : merged;
}
