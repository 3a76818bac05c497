import type { ProcessInfo } from '../../../shared/protocol/index.js';
import { agentStatus, type AgentStatus } from '../store/agents.js';

const LABEL: Record<AgentStatus, string> = {
  active: 'Active',
  idle: 'Idle',
  paused: 'Paused',
  completed: 'Completed',
  failed: 'Failed',
};

export function StatusBadge({ agent }: { agent: ProcessInfo }) {
  const status = agentStatus(agent);
  return (
    <span
      className={`badge badge-${status}`}
      data-testid="agent-status"
      title={`${agent.state} · ${agent.phase}`}
    >
      <span className="badge-dot" aria-hidden="true" />
      {LABEL[status]}
    </span>
  );
}
