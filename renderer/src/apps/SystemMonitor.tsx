import { useEffect, useMemo, useState } from 'react';
import { formatBytes, formatDuration } from '../../../shared/format.js';
import type { ProcessInfo } from '../../../shared/protocol/index.js';
import { openAgentMenu } from '../missionControl/AgentCard.js';
import { AgentActions } from '../missionControl/AgentActions.js';
import { isLive } from '../store/agents.js';
import { useHabitat, windows } from '../store/store.js';
import { StatusBadge } from '../ui/StatusBadge.js';
import { Sparkline } from './Sparkline.js';
import './apps.css';

type SortKey = 'pid' | 'name' | 'state' | 'phase' | 'sandbox' | 'age';
const COLUMNS: { key: SortKey; label: string }[] = [
  { key: 'pid', label: 'PID' },
  { key: 'name', label: 'Name' },
  { key: 'state', label: 'State' },
  { key: 'phase', label: 'Phase' },
  { key: 'sandbox', label: 'Sandbox' },
  { key: 'age', label: 'Age' },
];

function sortValue(p: ProcessInfo, key: SortKey): string | number {
  switch (key) {
    case 'pid':
      return p.pid;
    case 'name':
      return p.name.toLowerCase();
    case 'state':
      return p.state;
    case 'phase':
      return p.phase;
    case 'sandbox':
      return `${p.sandbox.kind}/${p.sandbox.isolation}`;
    case 'age':
      return -Date.parse(p.createdAt);
  }
}

/** The kernel's resources over the last minutes, every process with its state and phase, and the GPUs. */
export default function SystemMonitor() {
  const info = useHabitat((s) => s.info);
  const stats = useHabitat((s) => s.stats);
  const history = useHabitat((s) => s.statsHistory);
  const agents = useHabitat((s) => s.agents);
  const gpus = useHabitat((s) => s.gpus);
  const [sort, setSort] = useState<{ key: SortKey; dir: 1 | -1 }>({ key: 'pid', dir: 1 });
  const [showEnded, setShowEnded] = useState(false);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 5000);
    return () => clearInterval(timer);
  }, []);

  const rows = useMemo(() => {
    const list = Object.values(agents).filter((p) => showEnded || isLive(p));
    return list.sort((a, b) => {
      const x = sortValue(a, sort.key);
      const y = sortValue(b, sort.key);
      return (x < y ? -1 : x > y ? 1 : a.pid - b.pid) * sort.dir;
    });
  }, [agents, sort, showEnded]);

  const memTotal = stats?.memoryTotal ?? info?.host.memoryTotal ?? 0;
  const memUsed = memTotal - (stats?.memoryFree ?? info?.host.memoryFree ?? 0);
  return (
    <div className="app monitor" data-testid="system-monitor">
      <div className="monitor-cards">
        <div className="stat-card">
          <span className="stat-label">CPU</span>
          <strong>{stats ? `${Math.round(stats.cpu * 100)}%` : '—'}</strong>
          <span className="muted">{info ? `${info.host.cpus} cores` : ''}</span>
          <Sparkline values={history.map((h) => h.cpu)} label="CPU use over the last minutes" />
        </div>
        <div className="stat-card">
          <span className="stat-label">Memory</span>
          <strong>{memTotal ? formatBytes(memUsed) : '—'}</strong>
          <span className="muted">of {formatBytes(memTotal)}</span>
          <Sparkline
            values={history.map((h) => (memTotal ? h.memoryUsed / memTotal : 0))}
            label="Memory use over the last minutes"
          />
        </div>
        <div className="stat-card">
          <span className="stat-label">Kernel</span>
          <strong>{stats ? formatBytes(stats.kernelRss) : '—'}</strong>
          <span className="muted">resident · up {stats ? formatDuration(stats.uptimeMs) : '—'}</span>
        </div>
        <div className="stat-card">
          <span className="stat-label">Agents</span>
          <strong>{stats?.agents.running ?? info?.agents.running ?? 0} running</strong>
          <span className="muted">
            of {stats?.agents.total ?? info?.agents.total ?? 0} live · isolation{' '}
            {info?.sandbox.hostIsolation ?? '—'}
          </span>
        </div>
      </div>

      <div className="monitor-table-head">
        <h3>Processes</h3>
        <label>
          <input type="checkbox" checked={showEnded} onChange={(e) => setShowEnded(e.target.checked)} /> Show
          ended
        </label>
      </div>
      <div className="table-scroll">
        <table className="process-table" data-testid="process-table">
          <thead>
            <tr>
              {COLUMNS.map((c) => (
                <th
                  key={c.key}
                  scope="col"
                  aria-sort={sort.key === c.key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'}
                >
                  <button
                    type="button"
                    onClick={() =>
                      setSort((s) => ({ key: c.key, dir: s.key === c.key ? (-s.dir as 1 | -1) : 1 }))
                    }
                  >
                    {c.label}
                    {sort.key === c.key && <span aria-hidden="true">{sort.dir === 1 ? ' ▲' : ' ▼'}</span>}
                  </button>
                </th>
              ))}
              <th scope="col">OS PID / container</th>
              <th scope="col">GPUs</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr
                key={p.pid}
                data-pid={p.pid}
                onContextMenu={(e) => openAgentMenu(e, p)}
                onDoubleClick={() => windows.openAgent(p.pid)}
              >
                <td>{p.pid}</td>
                <td>
                  <button type="button" className="link" onClick={() => windows.openAgent(p.pid)}>
                    {p.name}
                  </button>
                </td>
                <td>
                  <StatusBadge agent={p} /> <span className="muted">{p.state}</span>
                </td>
                <td>{p.phase}</td>
                <td>
                  {p.sandbox.kind}/{p.sandbox.isolation}
                  {p.sandbox.network ? ' +net' : ''}
                </td>
                <td>
                  {formatDuration(
                    Math.max(0, (p.endedAt ? Date.parse(p.endedAt) : now) - Date.parse(p.createdAt)),
                  )}
                </td>
                <td className="mono">{p.sandbox.containerId?.slice(0, 12) ?? p.sandbox.osPid ?? '—'}</td>
                <td>{p.gpus.length || '—'}</td>
                <td>
                  <AgentActions agent={p} />
                </td>
              </tr>
            ))}
            {rows.length === 0 && (
              <tr>
                <td colSpan={9} className="muted empty">
                  No processes.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>

      {gpus.length > 0 && (
        <>
          <h3>GPUs</h3>
          <GpuTable />
        </>
      )}
    </div>
  );
}

export function GpuTable() {
  const gpus = useHabitat((s) => s.gpus);
  const warning = useHabitat((s) => s.gpuWarning);
  if (gpus.length === 0)
    return <p className="muted">{warning ?? 'No GPUs: nvidia-smi is not installed or reports none.'}</p>;
  return (
    <table className="gpu-table" data-testid="gpu-table">
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">Name</th>
          <th scope="col">Memory</th>
          <th scope="col">Use</th>
          <th scope="col">Temp</th>
          <th scope="col">Power</th>
          <th scope="col">Held by</th>
        </tr>
      </thead>
      <tbody>
        {gpus.map((g) => (
          <tr key={g.uuid}>
            <td>{g.index}</td>
            <td title={g.uuid}>{g.name}</td>
            <td>
              {g.memoryTotal !== null
                ? `${formatBytes(g.memoryUsed ?? 0)} / ${formatBytes(g.memoryTotal)}`
                : '—'}
            </td>
            <td>{g.utilization !== null ? `${Math.round(g.utilization * 100)}%` : '—'}</td>
            <td>{g.temperatureC !== null ? `${g.temperatureC} °C` : '—'}</td>
            <td>{g.powerW !== null ? `${Math.round(g.powerW)} W` : '—'}</td>
            <td>
              {g.heldBy !== null ? (
                <button type="button" className="link" onClick={() => windows.openAgent(g.heldBy!)}>
                  #{g.heldBy}
                </button>
              ) : (
                'free'
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
