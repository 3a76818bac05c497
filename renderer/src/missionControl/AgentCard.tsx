import { memo, type KeyboardEvent, type MouseEvent } from 'react';
import { formatDuration } from '../../../shared/format.js';
import type { ProcessInfo } from '../../../shared/protocol/index.js';
import { isLive } from '../store/agents.js';
import { hasDesktop } from '../store/displays.js';
import { ui, useHabitat, windows } from '../store/store.js';
import { Button } from '../ui/Button.js';
import { StatusBadge } from '../ui/StatusBadge.js';
import { AgentActions } from './AgentActions.js';
import { agentMenuItems } from './agentMenu.js';
import { DesktopThumbnail } from './DesktopThumbnail.js';
import { TerminalPreview } from './TerminalPreview.js';

export function openAgentMenu(event: MouseEvent, agent: ProcessInfo): void {
  event.preventDefault();
  event.stopPropagation();
  const box = (event.currentTarget as HTMLElement).getBoundingClientRect();
  ui.openMenu({
    x: event.clientX || box.left + 16,
    y: event.clientY || box.top + 16,
    label: `${agent.name} actions`,
    items: agentMenuItems(agent),
  });
}

export function onAgentKey(event: KeyboardEvent, agent: ProcessInfo): void {
  if (event.target !== event.currentTarget) return;
  if (event.key === 'Enter') {
    event.preventDefault();
    windows.openAgent(agent.pid);
  }
}

export function age(agent: ProcessInfo, now: number): string {
  const end = agent.endedAt ? Date.parse(agent.endedAt) : now;
  return formatDuration(Math.max(0, end - Date.parse(agent.createdAt)));
}

/** One agent in the grid: who it is, its live desktop (graphical agents) or terminal, and its controls. */
export const AgentCard = memo(function AgentCard({
  agent,
  active,
  position,
  total,
}: {
  agent: ProcessInfo;
  active: boolean;
  position: number;
  total: number;
}) {
  const live = isLive(agent);
  const display = useHabitat((s) => s.displays[agent.pid]);
  const desktop = hasDesktop(agent, display) ? display : undefined;
  return (
    <article
      className={`agent-card status-${agent.state}`}
      role="listitem"
      aria-posinset={position}
      aria-setsize={total}
      aria-label={`${agent.name}, agent ${agent.pid}`}
      tabIndex={0}
      data-testid="agent-card"
      data-pid={agent.pid}
      data-state={agent.state}
      data-graphical={desktop ? 'true' : undefined}
      onKeyDown={(event) => onAgentKey(event, agent)}
      onDoubleClick={() => windows.openAgent(agent.pid)}
      onContextMenu={(event) => openAgentMenu(event, agent)}
    >
      <header className="card-head">
        <div className="card-title">
          <h3>{agent.name}</h3>
          <span className="pid">#{agent.pid}</span>
        </div>
        <StatusBadge agent={agent} />
      </header>
      <p className="card-goal" title={agent.goal ?? undefined}>
        {agent.goal ?? agent.role ?? <span className="muted">No goal: a shell to drive by hand</span>}
      </p>
      {live ? (
        desktop ? (
          <DesktopThumbnail agent={agent} display={desktop} active={active} />
        ) : (
          <TerminalPreview pid={agent.pid} hasTerminal={agent.terminal !== null} active={active} rows={8} />
        )
      ) : (
        <div className="card-ended">
          <p>
            Ended {agent.endedAt ? new Date(agent.endedAt).toLocaleString() : ''}:{' '}
            {agent.exitReason ?? 'no reason given'}
          </p>
          <Button size="sm" icon="clock" onClick={() => windows.openAgent(agent.pid, 'logs')}>
            Timeline
          </Button>
        </div>
      )}
      <footer className="card-foot">
        <span className="chip" title={`isolation: ${agent.sandbox.isolation}`}>
          {agent.sandbox.kind === 'docker' ? 'container' : 'host'}
          {agent.sandbox.network ? ' · net' : ''}
        </span>
        {agent.gpus.length > 0 && <span className="chip">{agent.gpus.length} GPU</span>}
        <span className="muted age">{agent.phase}</span>
        <AgentActions agent={agent} />
      </footer>
    </article>
  );
});
