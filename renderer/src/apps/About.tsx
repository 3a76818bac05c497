import { formatBytes, formatDuration } from '../../../shared/format.js';
import { useHabitat } from '../store/store.js';

/** The kernel's facts: what `habitat info` prints, live. */
export function About() {
  const info = useHabitat((s) => s.info);
  const stats = useHabitat((s) => s.stats);
  const error = useHabitat((s) => s.error);
  if (!info) return <p className="muted">{error ?? 'Waiting for the kernel…'}</p>;
  const uptime = stats?.uptimeMs ?? info.kernel.uptimeMs;
  const memoryFree = stats?.memoryFree ?? info.host.memoryFree;
  return (
    <div data-testid="kernel-status">
      {error && (
        <p className="error-line" role="alert">
          {error}
        </p>
      )}
      <dl className="facts">
        <div>
          <dt>Kernel</dt>
          <dd data-testid="kernel-state">{info.kernel.state}</dd>
        </div>
        <div>
          <dt>Version</dt>
          <dd data-testid="kernel-version">{info.version}</dd>
        </div>
        <div>
          <dt>Mode</dt>
          <dd data-testid="kernel-mode">{info.mode}</dd>
        </div>
        <div>
          <dt>Uptime</dt>
          <dd>{formatDuration(uptime)}</dd>
        </div>
        <div>
          <dt>Isolation</dt>
          <dd data-testid="kernel-isolation">{info.sandbox.hostIsolation}</dd>
        </div>
        <div>
          <dt>Docker engines</dt>
          <dd>{info.sandbox.dockerEngines.map((e) => `${e.name} (${e.address})`).join(', ') || 'none'}</dd>
        </div>
        <div>
          <dt>Agents</dt>
          <dd data-testid="kernel-agents">
            {info.agents.running} running of {info.agents.total}
          </dd>
        </div>
        <div>
          <dt>Host</dt>
          <dd data-testid="kernel-host">
            {info.host.hostname} · {info.host.platform}/{info.host.arch} · {info.host.cpus} CPUs · Node{' '}
            {info.host.node}
          </dd>
        </div>
        <div>
          <dt>Memory</dt>
          <dd>
            {formatBytes(memoryFree)} free of {formatBytes(info.host.memoryTotal)}
          </dd>
        </div>
        <div>
          <dt>Data folder</dt>
          <dd data-testid="kernel-datadir">
            <code>{info.dataDir}</code>
          </dd>
        </div>
      </dl>
      {info.warnings.length > 0 && (
        <ul className="warnings">
          {info.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
