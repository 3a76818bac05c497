import { useEffect, useMemo, useState } from 'react';
import {
  DEFAULT_FILTER,
  filterAgents,
  isLive,
  type AgentFilter,
  type StatusFilter,
} from '../store/agents.js';
import { KEYS, readJson, writeJson } from '../store/persist.js';
import { ui, useHabitat } from '../store/store.js';
import { Button } from '../ui/Button.js';
import { Icon } from '../ui/Icon.js';
import type { AppProps } from '../desktop/WindowContent.js';
import { AgentGrid } from './AgentGrid.js';
import { AgentList } from './AgentList.js';
import { MetricsBar } from './MetricsBar.js';
import './missionControl.css';

type Mode = 'grid' | 'list';
interface Saved {
  mode: Mode;
  archive: boolean;
}

const STATUS: { id: StatusFilter; label: string }[] = [
  { id: 'all', label: 'All' },
  { id: 'active', label: 'Active' },
  { id: 'idle', label: 'Idle' },
  { id: 'paused', label: 'Paused' },
];

function loadSaved(): Saved {
  const data = readJson(KEYS.missionControl) as Partial<Saved> | undefined;
  return { mode: data?.mode === 'list' ? 'list' : 'grid', archive: data?.archive === true };
}

/** Every agent at once: metrics, filters, and a live grid (or list) of them; finished ones in the archive. */
export default function MissionControl({ active }: AppProps) {
  const agents = useHabitat((s) => s.agents);
  const loaded = useHabitat((s) => s.agentsLoaded);
  const [saved, setSaved] = useState(loadSaved);
  const [filter, setFilter] = useState<AgentFilter>({ ...DEFAULT_FILTER, archive: saved.archive });
  useEffect(() => writeJson(KEYS.missionControl, saved), [saved]);

  const list = useMemo(() => filterAgents(agents, filter), [agents, filter]);
  const counts = useMemo(() => {
    let live = 0;
    let ended = 0;
    for (const a of Object.values(agents)) {
      if (isLive(a)) live++;
      else ended++;
    }
    return { live, ended };
  }, [agents]);
  const setArchive = (archive: boolean) => {
    setFilter((f) => ({ ...f, archive }));
    setSaved((s) => ({ ...s, archive }));
  };

  return (
    <div className="mission-control" data-testid="mission-control">
      <MetricsBar />
      <div className="mc-toolbar" role="toolbar" aria-label="Mission Control view">
        <div className="segmented" role="group" aria-label="Live or archive">
          <button type="button" aria-pressed={!filter.archive} onClick={() => setArchive(false)}>
            Live <span className="count">{counts.live}</span>
          </button>
          <button
            type="button"
            aria-pressed={filter.archive}
            onClick={() => setArchive(true)}
            data-testid="mc-archive"
          >
            <Icon name="archive" size={14} /> Archive <span className="count">{counts.ended}</span>
          </button>
        </div>
        <label className="search-field">
          <Icon name="search" size={14} />
          <span className="sr-only">Filter agents</span>
          <input
            type="search"
            placeholder="Name, role, goal or PID"
            value={filter.text}
            onChange={(e) => setFilter((f) => ({ ...f, text: e.target.value }))}
            data-testid="mc-filter"
          />
        </label>
        {!filter.archive && (
          <div className="segmented" role="group" aria-label="Status">
            {STATUS.map((s) => (
              <button
                key={s.id}
                type="button"
                aria-pressed={filter.status === s.id}
                onClick={() => setFilter((f) => ({ ...f, status: s.id }))}
              >
                {s.label}
              </button>
            ))}
          </div>
        )}
        <label className="select-field">
          <span className="sr-only">Sandbox</span>
          <select
            value={filter.sandbox}
            onChange={(e) => setFilter((f) => ({ ...f, sandbox: e.target.value as AgentFilter['sandbox'] }))}
          >
            <option value="any">Any sandbox</option>
            <option value="host">Host</option>
            <option value="docker">Container</option>
          </select>
        </label>
        <span className="toolbar-spacer" />
        <div className="segmented" role="group" aria-label="Layout">
          <button
            type="button"
            aria-pressed={saved.mode === 'grid'}
            aria-label="Grid"
            title="Grid"
            onClick={() => setSaved((s) => ({ ...s, mode: 'grid' }))}
          >
            <Icon name="grid" size={14} />
          </button>
          <button
            type="button"
            aria-pressed={saved.mode === 'list'}
            aria-label="List"
            title="List"
            onClick={() => setSaved((s) => ({ ...s, mode: 'list' }))}
          >
            <Icon name="list" size={14} />
          </button>
        </div>
        <Button variant="primary" icon="rocket" size="sm" onClick={() => ui.openDeploy()}>
          Deploy
        </Button>
      </div>
      {list.length === 0 ? (
        <div className="mc-empty">
          {!loaded ? (
            <p>Loading agents…</p>
          ) : counts.live + counts.ended === 0 ? (
            <>
              <Icon name="rocket" size={36} />
              <h3>No agents yet</h3>
              <p>Deploy one: it gets a PID, a sandboxed home and a real terminal.</p>
              <Button variant="primary" icon="rocket" onClick={() => ui.openDeploy()}>
                Deploy an agent
              </Button>
            </>
          ) : (
            <p>{filter.archive ? 'No finished agents match.' : 'No live agents match.'}</p>
          )}
        </div>
      ) : saved.mode === 'grid' ? (
        <AgentGrid agents={list} active={active} />
      ) : (
        <AgentList agents={list} archive={filter.archive} />
      )}
    </div>
  );
}
