import { formatBytes, formatDuration } from '../../../shared/format.js';
import { useKernel } from '../store.js';

const CONNECTION_LABEL = {
  connecting: 'Connecting…',
  open: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
  'no-token': 'No token',
} as const;

export function KernelStatus() {
  const { connection, info, stats, error } = useKernel();
  if (connection === 'no-token') {
    return (
      <section className="card" aria-labelledby="status-title">
        <h1 id="status-title">Habitat</h1>
        <p>
          Open the address that <code>habitat serve</code> printed: it carries the access token for this host.
        </p>
      </section>
    );
  }
  const uptime = stats?.uptimeMs ?? info?.kernel.uptimeMs;
  const memoryFree = stats?.memoryFree ?? info?.host.memoryFree;
  return (
    <section className="card" aria-labelledby="status-title" data-testid="kernel-status">
      <header className="card-header">
        <h1 id="status-title">Habitat</h1>
        <span className={`pill pill-${connection}`} role="status" data-testid="connection">
          {CONNECTION_LABEL[connection]}
        </span>
      </header>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {info?.warnings.map((warning) => (
        <p key={warning} className="warning" role="alert" data-testid="kernel-warning">
          {warning}
        </p>
      ))}
      {info ? (
        <dl className="facts">
          <dt>Kernel</dt>
          <dd data-testid="kernel-state">{info.kernel.state}</dd>
          <dt>Version</dt>
          <dd data-testid="kernel-version">{info.version}</dd>
          <dt>Mode</dt>
          <dd data-testid="kernel-mode">{info.mode}</dd>
          <dt>Uptime</dt>
          <dd>{uptime !== undefined ? formatDuration(uptime) : '—'}</dd>
          <dt>Isolation</dt>
          <dd data-testid="kernel-isolation">{info.sandbox.hostIsolation}</dd>
          <dt>Agents</dt>
          <dd data-testid="kernel-agents">
            {info.agents.running} running of {info.agents.total}
          </dd>
          <dt>Host</dt>
          <dd data-testid="kernel-host">
            {info.host.hostname} · {info.host.platform}/{info.host.arch} · {info.host.cpus} CPUs
          </dd>
          <dt>CPU</dt>
          <dd>{stats ? `${Math.round(stats.cpu * 100)} %` : '—'}</dd>
          <dt>Memory</dt>
          <dd>
            {memoryFree !== undefined
              ? `${formatBytes(memoryFree)} free of ${formatBytes(info.host.memoryTotal)}`
              : '—'}
          </dd>
          <dt>Data folder</dt>
          <dd data-testid="kernel-datadir">
            <code>{info.dataDir}</code>
          </dd>
        </dl>
      ) : (
        <p className="muted">Waiting for the kernel…</p>
      )}
    </section>
  );
}
