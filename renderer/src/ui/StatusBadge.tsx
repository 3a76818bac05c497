import type { ProcessInfo } from '../../../shared/protocol/index.js';
import { agentStatus, type AgentStatus } from '../store/agents.js';
import { useHabitat } from '../store/store.js';

const LABEL: Record<AgentStatus, string> = {
  active: 'Active',
  idle: 'Idle',
  paused: 'Paused',
  completed: 'Completed',
  failed: 'Failed',
};

export function StatusBadge({ agent }: { agent: ProcessInfo }) {
  const status = agentStatus(agent);
  // an agent held by a question or an approval is not idle: it waits for a person, which the badge says
  const needsYou = useHabitat(
    (s) => status !== 'paused' && Object.values(s.approvals).some((request) => request.pid === agent.pid),
  );
  return (
    <span
      className={`badge badge-${needsYou ? 'needs-you' : status}`}
      data-testid="agent-status"
      title={`${agent.state} · ${agent.phase}${needsYou ? ' · waiting for a person' : ''}`}
    >
      <span className="badge-dot" aria-hidden="true" />
      {needsYou ? 'Needs you' : LABEL[status]}
    </span>
  );
}
