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
    const why = change.request.reasons[0];
    const reason = why ? ` (${why})` : '';
    // the reason may be clipped, what the request holds is not: it gets most of the room
    const what = approvalSummary(
      change.request.tool,
      change.request.args,
      Math.max(120, BODY_MAX - reason.length),
    );
    this.onApprovalRequested(change.pid, `Agent`, what + reason);
  }

  /** Forget a reaped agent. */
  forget(pid: number): void {
    this.announced.delete(pid);
  }
}

/** The most characters of a notification's body. */
const BODY_MAX = 180;

/**
 * A request in a line: its command (or tool and path), then what else it carries, said rather than dropped, so that
 * "bash" with a script on its standard input reads "bash (with 38 bytes of input)". The mention of the rest is never
 * clipped away: a long command is shortened instead. The Agent VM shows every argument whole.
 */
export function approvalSummary(tool: string, args: unknown, max = BODY_MAX): string {
  const object = args !== null && typeof args === 'object' && !Array.isArray(args);
  const fields: Record<string, unknown> = object ? { ...(args as Record<string, unknown>) } : {};
  let head = tool;
  if (typeof fields.command === 'string') {
    head = fields.command;
    delete fields.command;
  } else if (typeof fields.path === 'string') {
    head = `${tool} ${fields.path}`;
    delete fields.path;
  }
  const rest = Object.entries(fields).map(([name, value]) => mention(name, value));
  // arguments that are not an object: mentioned as a whole
  if (!object && args !== undefined) rest.push(mention('arguments', args));
  if (rest.length === 0) return clip(head, max);
  // many arguments: their list is shortened too ("…" says there is more), but never below what says there are some
  const tail = clip(`(with ${rest.join(', ')})`, Math.max(24, Math.floor(max * 0.6)));
  return `${clip(head, Math.max(1, max - tail.length - 1))} ${tail}`;
}

/** One more argument in a few words: its size when it is text or long, else its value. */
function mention(name: string, value: unknown): string {
  if (typeof value === 'string') return `${bytes(value)} of ${name}`;
  const json = JSON.stringify(value) ?? String(value);
  return json.length <= 24 ? `${name} ${json}` : `${name} (${bytes(json)})`;
}

function bytes(text: string): string {
  const n = Buffer.byteLength(text);
  return `${n} ${n === 1 ? 'byte' : 'bytes'}`;
}

/** Characters that render as nothing or reorder the text: controls, zero-width, bidirectional overrides. */
const INVISIBLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/**
 * One line, at most max characters. Invisible characters become U+FFFD, so that a notification cannot read as one
 * command while the request holds another.
 */
function clip(text: string, max = BODY_MAX): string {
  const line = text.replace(INVISIBLE, '\ufffd').replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
