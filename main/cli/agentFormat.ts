import {
  AgentEventSchema,
  type AgentEvent,
  type ApprovalRequest,
  type LogEntry,
} from '../../shared/protocol/index.js';
import { formatDuration, table } from './format.js';

const OUTPUT_LINES = 12;
const OUTPUT_CHARS = 2000;

/** The agent event an entry of the agent's log holds (agent.* entries), with its seq; undefined for the rest. */
export function eventFromLog(entry: LogEntry): AgentEvent | undefined {
  if (!entry.type.startsWith('agent.') || entry.pid === null) return undefined;
  const parsed = AgentEventSchema.safeParse({
    ...(entry.payload as object),
    pid: entry.pid,
    seq: entry.seq,
  });
  return parsed.success ? parsed.data : undefined;
}

/** One line (or a few, for tool output) per event, for people; undefined for what is not worth a line. */
export function formatAgentEvent(event: AgentEvent): string | undefined {
  const head = `${new Date(event.at).toISOString().slice(11, 23)} [${event.step}]`;
  switch (event.type) {
    case 'phase':
      return `${head} ${event.phase}`;
    case 'thought.delta':
      return undefined; // the whole thought follows
    case 'thought':
      return `${head} thought: ${indent(event.text)}`;
    case 'tool.call':
      return `${head} -> ${event.tool} ${oneLine(JSON.stringify(event.args ?? {}), 300)}`;
    case 'tool.result': {
      const status = event.ok ? 'ok' : `failed${event.error ? ` (${event.error.code})` : ''}`;
      const output = clipLines(event.output);
      return `${head} <- ${event.tool} ${status} in ${took(event.durationMs)}${output ? `\n${output}` : ''}`;
    }
    case 'approval.requested':
      if (event.question !== undefined) {
        return (
          `${head} WAITING for an answer: ${indent(event.question)}\n` +
          `    habitat answer ${event.pid} "..."   or   habitat deny ${event.pid} --reason "..."`
        );
      }
      return (
        `${head} WAITING for approval: ${event.tool} ${oneLine(JSON.stringify(event.args ?? {}), 300)}\n` +
        `    because: ${event.reasons.join('; ')}\n` +
        `    habitat approve ${event.pid}   or   habitat deny ${event.pid} --reason "..."`
      );
    case 'approval.resolved':
      if (event.answer !== undefined) return `${head} answered (${event.by}): ${indent(event.answer)}`;
      return `${head} ${event.approved ? 'approved' : 'denied'} (${event.by}): ${event.reason}`;
    case 'llm.retry':
      return `${head} model ${event.error.kind}, retry ${event.attempt} in ${took(event.delayMs)}: ${event.error.message}`;
    case 'llm.error':
      return `${head} model error (${event.error.provider}, ${event.error.kind}): ${event.error.message}`;
    case 'usage':
      return undefined; // totals are in the end line
    case 'memory':
      return `${head} memory now: ${indent(event.notes.trimEnd() || '(empty)')}`;
    case 'warning':
      return `${head} warning: ${event.message}`;
    case 'model.pull':
      return `${head} ${event.message}`;
    case 'end': {
      const figures = `${event.steps} steps, ${took(event.durationMs)}, ${event.tokens.input}+${event.tokens.output} tokens`;
      const summary = event.summary ? `\n${clipLines(event.summary, 40)}` : '';
      return `${head} END ${event.outcome}: ${event.reason} (${figures})${summary}`;
    }
  }
}

export function formatApprovals(approvals: ApprovalRequest[], now = Date.now()): string {
  if (approvals.length === 0) return 'no actions are waiting for approval';
  return table(
    ['PID', 'ID', 'TOOL', 'ACTION', 'WHY', 'DENIED IN'],
    approvals.map((a) => [
      String(a.pid),
      a.id,
      a.tool,
      a.question === undefined
        ? oneLine(JSON.stringify(a.args ?? {}), 60)
        : oneLine(`asks: ${a.question}`, 60),
      a.question === undefined ? oneLine(a.reasons.join('; '), 80) : `habitat answer ${a.pid} TEXT`,
      formatDuration(Math.max(0, a.expiresAt - now)),
    ]),
  );
}

/** Tools and retries take milliseconds to seconds: whole seconds alone would say 0s. */
function took(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : formatDuration(ms);
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function indent(text: string): string {
  return text.replace(/\n/g, '\n    ');
}

function clipLines(text: string, maxLines = OUTPUT_LINES): string {
  let clipped = text.length > OUTPUT_CHARS ? `${text.slice(0, OUTPUT_CHARS)}…` : text;
  const lines = clipped.trimEnd().split('\n');
  if (lines.length > maxLines)
    clipped = [...lines.slice(0, maxLines), `… ${lines.length - maxLines} more lines`].join('\n');
  else clipped = lines.join('\n');
  return clipped ? `    ${clipped.replace(/\n/g, '\n    ')}` : '';
}
