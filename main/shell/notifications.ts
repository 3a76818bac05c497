import type { ProcessInfo } from '../../shared/protocol/index.js';

export interface AgentNotification {
  pid: number;
  title: string;
  body: string;
}

/**
 * Decides which agent changes deserve a native notification: an agent that completes or fails (once each), and one
 * that waits for a person's approval. Clicking one focuses that agent (the shell's job).
 */
export class AgentNotifier {
  private readonly announced = new Map<number, string>();
  private readonly askedFor = new Set<string>();

  constructor(private readonly show: (notification: AgentNotification) => void) {}

  /** Feed every process.changed payload. */
  onProcess(info: ProcessInfo): void {
    if (info.phase !== 'completed' && info.phase !== 'failed') return;
    if (this.announced.get(info.pid) === info.phase) return;
    this.announced.set(info.pid, info.phase);
    const who = `${info.name} (PID ${info.pid})`;
    this.show(
      info.phase === 'completed'
        ? { pid: info.pid, title: `${who} completed`, body: clip(info.exitReason ?? info.goal ?? 'Done.') }
        : {
            pid: info.pid,
            title: `${who} failed`,
            body: clip(info.exitReason ?? 'It stopped with an error.'),
          },
    );
  }

  /** An agent waits for a person: what it wants to do, so the notification alone says whether it is urgent. */
  onApprovalRequested(pid: number, name: string, action: string): void {
    this.show({ pid, title: `${name} (PID ${pid}) waits for your approval`, body: clip(action) });
  }

  /** Feed every agent.approval payload: a request that starts waiting is announced (one per request). */
  onApproval(change: {
    pid: number;
    change: 'requested' | 'resolved';
    request: { id: string; tool: string; args: unknown; reasons: string[] };
  }): void {
    if (change.change !== 'requested') return;
    if (this.askedFor.has(change.request.id)) return;
    this.askedFor.add(change.request.id);
    const command = (change.request.args as { command?: unknown } | null)?.command;
    const what = typeof command === 'string' ? command : change.request.tool;
    const why = change.request.reasons[0];
    this.onApprovalRequested(change.pid, `Agent`, why ? `${what} (${why})` : what);
  }

  /** Forget a reaped agent. */
  forget(pid: number): void {
    this.announced.delete(pid);
  }
}

function clip(text: string, max = 180): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
