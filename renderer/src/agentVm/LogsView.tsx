import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import { CATEGORIES, categorize, summarize, type LogCategory } from './logs.js';
import { useAgentLog } from './useAgentLog.js';

const SHOWN = 1500;

/** The agent's timeline: history plus live entries, colour-coded by category, filterable, following the end. */
export function LogsView({ pid }: { pid: number }) {
  const { entries, error, loading } = useAgentLog(pid);
  const [hidden, setHidden] = useState<ReadonlySet<LogCategory>>(new Set());
  const [text, setText] = useState('');
  const scroller = useRef<HTMLDivElement>(null);
  const atEnd = useRef(true);

  const rows = useMemo(() => {
    const needle = text.trim().toLowerCase();
    const out = [];
    for (const entry of entries) {
      const category = categorize(entry);
      if (hidden.has(category)) continue;
      const summary = summarize(entry);
      if (needle && !`${entry.type} ${summary}`.toLowerCase().includes(needle)) continue;
      out.push({ entry, category, summary });
    }
    return out.slice(-SHOWN);
  }, [entries, hidden, text]);

  const counts = useMemo(() => {
    const c = new Map<LogCategory, number>();
    for (const entry of entries) c.set(categorize(entry), (c.get(categorize(entry)) ?? 0) + 1);
    return c;
  }, [entries]);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && atEnd.current) el.scrollTop = el.scrollHeight;
  }, [rows]);

  const toggle = (id: LogCategory) =>
    setHidden((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <div className="logs-view" data-testid="logs-view">
      <div className="logs-toolbar" role="toolbar" aria-label="Log filters">
        <input
          type="search"
          aria-label="Search the log"
          placeholder="Search the log"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <div className="log-chips" role="group" aria-label="Categories">
          {CATEGORIES.filter(
            (c) => counts.has(c.id) || c.id === 'thought' || c.id === 'action' || c.id === 'observation',
          ).map((c) => (
            <button
              key={c.id}
              type="button"
              className={`log-chip cat-${c.id}`}
              aria-pressed={!hidden.has(c.id)}
              onClick={() => toggle(c.id)}
            >
              {c.label}
              <span className="count">{counts.get(c.id) ?? 0}</span>
            </button>
          ))}
        </div>
      </div>
      {error && (
        <p className="error-line" role="alert">
          {error}
        </p>
      )}
      <div
        ref={scroller}
        className="logs-scroll"
        tabIndex={0}
        aria-label="Timeline"
        onScroll={(e) => {
          const el = e.currentTarget;
          atEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {rows.length === 0 ? (
          <p className="muted empty">{loading ? 'Loading the timeline…' : 'Nothing logged yet.'}</p>
        ) : (
          <ol className="log-list" aria-live="polite" aria-relevant="additions">
            {rows.map(({ entry, category, summary }) => (
              <li
                key={entry.seq}
                className={`log-entry cat-${category}`}
                data-testid="log-entry"
                data-type={entry.type}
              >
                <details>
                  <summary>
                    <time dateTime={new Date(entry.at).toISOString()}>
                      {new Date(entry.at).toLocaleTimeString([], { hour12: false })}
                    </time>
                    <span className="log-type">{entry.type}</span>
                    <span className="log-summary">{summary}</span>
                  </summary>
                  <pre>{JSON.stringify(entry.payload, null, 2)}</pre>
                </details>
              </li>
            ))}
          </ol>
        )}
      </div>
    </div>
  );
}
