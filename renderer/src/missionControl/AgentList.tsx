import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useRef, useState } from 'react';
import type { ProcessInfo } from '../../../shared/protocol/index.js';
import { hasDesktop } from '../store/displays.js';
import { useHabitat, windows } from '../store/store.js';
import { StatusBadge } from '../ui/StatusBadge.js';
import { AgentActions } from './AgentActions.js';
import { age, onAgentKey, openAgentMenu } from './AgentCard.js';

const ROW_H = 46;

/** The compact view: one row per agent, virtualised like the grid. */
export function AgentList({ agents, archive }: { agents: ProcessInfo[]; archive: boolean }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: agents.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_H,
    // scrolling renders in React's own time rather than synchronously inside every scroll event
    useFlushSync: false,
    overscan: 6,
  });
  // ages move on their own; one clock for the whole list
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(timer);
  }, []);
  return (
    <div className="mc-list">
      <div className="mc-list-head" aria-hidden="true">
        <span>Agent</span>
        <span>Status</span>
        <span>Phase</span>
        <span>Sandbox</span>
        <span>{archive ? 'Ended' : 'Age'}</span>
        <span>{archive ? 'Reason' : 'Goal'}</span>
        <span />
      </div>
      <div ref={scrollRef} className="mc-scroll" data-testid="mc-scroll">
        <div
          role="list"
          aria-label="Agents"
          className="mc-canvas"
          style={{ height: virtualizer.getTotalSize() }}
        >
          {virtualizer.getVirtualItems().map((item) => (
            <AgentRow
              key={agents[item.index]!.pid}
              agent={agents[item.index]!}
              top={item.start}
              position={item.index + 1}
              total={agents.length}
              now={now}
              archive={archive}
            />
          ))}
        </div>
      </div>
    </div>
  );
}

const AgentRow = memo(function AgentRow({
  agent,
  top,
  position,
  total,
  now,
  archive,
}: {
  agent: ProcessInfo;
  top: number;
  position: number;
  total: number;
  now: number;
  archive: boolean;
}) {
  const desktop = useHabitat((s) => hasDesktop(agent, s.displays[agent.pid]));
  return (
    <div
      className="mc-list-row"
      role="listitem"
      aria-posinset={position}
      aria-setsize={total}
      aria-label={`${agent.name}, agent ${agent.pid}`}
      tabIndex={0}
      style={{ transform: `translateY(${top}px)`, height: ROW_H }}
      data-testid="agent-row"
      data-pid={agent.pid}
      data-state={agent.state}
      onKeyDown={(event) => onAgentKey(event, agent)}
      onDoubleClick={() => windows.openAgent(agent.pid)}
      onContextMenu={(event) => openAgentMenu(event, agent)}
    >
      <span className="row-name">
        <strong>{agent.name}</strong> <span className="pid">#{agent.pid}</span>
      </span>
      <StatusBadge agent={agent} />
      <span className="muted">{agent.phase}</span>
      <span className="muted">
        {agent.sandbox.kind === 'docker' ? 'container' : 'host'}
        {desktop ? ' · desktop' : ''}
        {agent.gpus.length ? ` · ${agent.gpus.length} GPU` : ''}
      </span>
      <span className="muted">
        {archive && agent.endedAt ? new Date(agent.endedAt).toLocaleTimeString() : age(agent, now)}
      </span>
      <span className="row-goal" title={(archive ? agent.exitReason : agent.goal) ?? undefined}>
        {(archive ? agent.exitReason : agent.goal) ?? '—'}
      </span>
      <AgentActions agent={agent} />
    </div>
  );
});
