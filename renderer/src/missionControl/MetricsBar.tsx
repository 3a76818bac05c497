import { useMemo } from 'react';
import { formatBytes, formatDuration } from '../../../shared/format.js';
import { agentMetrics } from '../store/agents.js';
import { useHabitat } from '../store/store.js';

/** The whole fleet in one line. */
export function MetricsBar() {
  const agents = useHabitat((s) => s.agents);
  const m = useMemo(() => agentMetrics(agents), [agents]);
  const gpus = useHabitat((s) => s.gpus.length);
  const uptime = useHabitat((s) => s.stats?.uptimeMs ?? s.info?.kernel.uptimeMs);
  const memTotal = useHabitat((s) => s.stats?.memoryTotal ?? s.info?.host.memoryTotal);
  const memFree = useHabitat((s) => s.stats?.memoryFree ?? s.info?.host.memoryFree);
  const rss = useHabitat((s) => s.stats?.kernelRss);
  const tiles: { id: string; label: string; value: string; tone?: string; title?: string }[] = [
    { id: 'total', label: 'Agents', value: String(m.total) },
    { id: 'active', label: 'Active', value: String(m.active), tone: 'active' },
    { id: 'idle', label: 'Idle', value: String(m.idle), tone: 'idle' },
    { id: 'paused', label: 'Paused', value: String(m.paused), tone: 'paused' },
    { id: 'completed', label: 'Completed', value: String(m.completed), tone: 'completed' },
    { id: 'failed', label: 'Failed', value: String(m.failed), tone: 'failed' },
    { id: 'gpus', label: 'GPUs in use', value: `${m.gpusHeld} / ${gpus}` },
    { id: 'uptime', label: 'Uptime', value: uptime === undefined ? '—' : formatDuration(uptime) },
    {
      id: 'memory',
      label: 'Memory',
      value:
        memTotal && memFree !== undefined ? `${Math.round(((memTotal - memFree) / memTotal) * 100)}%` : '—',
      title:
        memTotal && memFree !== undefined
          ? `${formatBytes(memTotal - memFree)} of ${formatBytes(memTotal)} in use${rss ? `; kernel ${formatBytes(rss)}` : ''}`
          : undefined,
    },
  ];
  return (
    <dl className="metrics" aria-label="Fleet metrics">
      {tiles.map((tile) => (
        <div
          key={tile.id}
          className={`metric${tile.tone ? ` tone-${tile.tone}` : ''}`}
          title={tile.title}
          data-testid={`metric-${tile.id}`}
        >
          <dt>{tile.label}</dt>
          <dd>{tile.value}</dd>
        </div>
      ))}
    </dl>
  );
}
