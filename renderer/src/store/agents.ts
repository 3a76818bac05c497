// What the UI derives from the process table: pure functions, so Mission Control, the Smart Bar and the tests agree.
import type { AgentPhase, ProcessInfo, ProcessState } from '../../../shared/protocol/index.js';

export type AgentMap = Readonly<Record<number, ProcessInfo>>;

const LIVE: ReadonlySet<ProcessState> = new Set(['created', 'running', 'sleeping', 'stopped']);
/** Phases in which an agent is doing something (the runtime moves through them); 'waiting' is idle. */
const WORKING: ReadonlySet<AgentPhase> = new Set(['booting', 'thinking', 'executing', 'observing']);

export type AgentStatus = 'active' | 'idle' | 'paused' | 'completed' | 'failed';

export function isLive(agent: ProcessInfo): boolean {
  return LIVE.has(agent.state);
}

/** One word for a card's badge and for the filters. */
export function agentStatus(agent: ProcessInfo): AgentStatus {
  if (!isLive(agent)) return agent.phase === 'failed' ? 'failed' : 'completed';
  if (agent.state === 'stopped') return 'paused';
  return WORKING.has(agent.phase) ? 'active' : 'idle';
}

export interface AgentMetrics {
  total: number;
  active: number;
  idle: number;
  paused: number;
  completed: number;
  failed: number;
  /** GPUs held by live agents. */
  gpusHeld: number;
}

export function agentMetrics(agents: AgentMap): AgentMetrics {
  const m: AgentMetrics = { total: 0, active: 0, idle: 0, paused: 0, completed: 0, failed: 0, gpusHeld: 0 };
  for (const agent of Object.values(agents)) {
    m.total++;
    m[agentStatus(agent)]++;
    if (isLive(agent)) m.gpusHeld += agent.gpus.length;
  }
  return m;
}

/** Applies a batch of process events: the latest info per PID wins. Returns the same map when nothing changed. */
export function applyProcesses(agents: AgentMap, updates: Iterable<ProcessInfo>): AgentMap {
  let next: Record<number, ProcessInfo> | undefined;
  for (const info of updates) {
    const current = (next ?? agents)[info.pid];
    if (current && sameInfo(current, info)) continue;
    next ??= { ...agents };
    next[info.pid] = info;
  }
  return next ?? agents;
}

function sameInfo(a: ProcessInfo, b: ProcessInfo): boolean {
  return (
    a.state === b.state &&
    a.phase === b.phase &&
    a.terminal === b.terminal &&
    a.endedAt === b.endedAt &&
    a.exitCode === b.exitCode &&
    a.sandbox.osPid === b.sandbox.osPid &&
    a.sandbox.containerId === b.sandbox.containerId &&
    a.gpus.length === b.gpus.length &&
    a.name === b.name
  );
}

export interface AgentNotice {
  level: 'success' | 'error';
  title: string;
  body: string;
  pid: number;
}

/** The notification an agent's change deserves: ending (completed or failed) is worth telling; the rest is not. */
export function noticeForChange(
  previous: ProcessInfo | undefined,
  next: ProcessInfo,
): AgentNotice | undefined {
  if (!previous || !isLive(previous) || isLive(next)) return undefined;
  const failed = next.phase === 'failed';
  return {
    level: failed ? 'error' : 'success',
    title: failed ? `${next.name} failed` : `${next.name} finished`,
    body: next.exitReason ?? (failed ? 'it ended with an error' : 'it ended'),
    pid: next.pid,
  };
}

export type StatusFilter = 'all' | 'active' | 'idle' | 'paused';
export type SandboxFilter = 'any' | 'host' | 'docker';

export interface AgentFilter {
  text: string;
  status: StatusFilter;
  sandbox: SandboxFilter;
  /** The archive shows agents that have ended; the live view those that have not. */
  archive: boolean;
}

export const DEFAULT_FILTER: AgentFilter = { text: '', status: 'all', sandbox: 'any', archive: false };

/** Agents that pass a filter, newest first in the archive and oldest first (stable positions) when live. */
export function filterAgents(agents: AgentMap, filter: AgentFilter): ProcessInfo[] {
  const needle = filter.text.trim().toLowerCase();
  const out: ProcessInfo[] = [];
  for (const agent of Object.values(agents)) {
    if (isLive(agent) === filter.archive) continue;
    if (!filter.archive && filter.status !== 'all' && agentStatus(agent) !== filter.status) continue;
    if (filter.sandbox !== 'any' && agent.sandbox.kind !== filter.sandbox) continue;
    if (needle && !matchesText(agent, needle)) continue;
    out.push(agent);
  }
  return out.sort((a, b) => (filter.archive ? b.pid - a.pid : a.pid - b.pid));
}

function matchesText(agent: ProcessInfo, needle: string): boolean {
  return (
    String(agent.pid) === needle ||
    agent.name.toLowerCase().includes(needle) ||
    (agent.role?.toLowerCase().includes(needle) ?? false) ||
    (agent.goal?.toLowerCase().includes(needle) ?? false)
  );
}

/** The signals a person may send now, in the order the controls show them. */
export function availableActions(agent: ProcessInfo): { pause: boolean; resume: boolean; stop: boolean } {
  const live = isLive(agent);
  return { pause: live && agent.state !== 'stopped', resume: agent.state === 'stopped', stop: live };
}
