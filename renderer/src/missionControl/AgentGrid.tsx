import { useVirtualizer } from '@tanstack/react-virtual';
import { useLayoutEffect, useRef, useState, type RefObject } from 'react';
import type { ProcessInfo } from '../../../shared/protocol/index.js';
import { AgentCard } from './AgentCard.js';

const MIN_CARD_W = 300;
const CARD_H = 236;
const GAP = 14;

function useWidth(ref: RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(el.clientWidth);
    const observer = new ResizeObserver(() => setWidth(el.clientWidth));
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}

/**
 * Cards in rows, virtualised by row: only the rows in view (and one beyond) exist, so 200 agents cost what a dozen
 * do, and a card scrolled away stops its preview.
 */
export function AgentGrid({ agents, active }: { agents: ProcessInfo[]; active: boolean }) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const width = useWidth(scrollRef);
  const columns = Math.max(1, Math.floor((width - 2 * GAP + GAP) / (MIN_CARD_W + GAP)));
  const rows = Math.ceil(agents.length / columns);
  const virtualizer = useVirtualizer({
    count: rows,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => CARD_H + GAP,
    // scrolling renders in React's own time rather than synchronously inside every scroll event
    useFlushSync: false,
    overscan: 1,
  });
  return (
    <div ref={scrollRef} className="mc-scroll" data-testid="mc-scroll">
      <div
        role="list"
        aria-label="Agents"
        className="mc-canvas"
        style={{ height: virtualizer.getTotalSize() + GAP }}
      >
        {virtualizer.getVirtualItems().map((row) => (
          <div
            key={row.key}
            role="none"
            className="mc-row"
            style={{
              transform: `translateY(${row.start + GAP}px)`,
              gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))`,
              height: CARD_H,
            }}
          >
            {agents.slice(row.index * columns, row.index * columns + columns).map((agent, i) => (
              <AgentCard
                key={agent.pid}
                agent={agent}
                active={active}
                position={row.index * columns + i + 1}
                total={agents.length}
              />
            ))}
          </div>
        ))}
      </div>
    </div>
  );
}
