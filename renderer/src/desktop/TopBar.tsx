import { useEffect, useState } from 'react';
import { formatBytes } from '../../../shared/format.js';
import { useHabitat, notices, ui } from '../store/store.js';
import { Icon } from '../ui/Icon.js';
import { NEXT_THEME, THEME_LABEL } from './theme.js';

const CONNECTION_LABEL = {
  connecting: 'Connecting…',
  open: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Disconnected',
  refused: 'Token refused',
  'no-token': 'No token',
} as const;

export function TopBar() {
  return (
    <header className="topbar" role="banner">
      <div className="topbar-left">
        <span className="brand" aria-label="Habitat">
          <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
            <path d="M12 2l9 5v10l-9 5-9-5V7z" fill="var(--accent)" opacity="0.9" />
            <path d="M12 7l4.5 2.5v5L12 17l-4.5-2.5v-5z" fill="var(--bg)" />
          </svg>
          Habitat
        </span>
        <button
          type="button"
          className="smartbar-trigger"
          onClick={ui.openSmartBar}
          aria-keyshortcuts="Control+K Meta+K"
        >
          <Icon name="search" size={14} />
          <span>Search agents, apps and actions</span>
          <kbd>Ctrl K</kbd>
        </button>
      </div>
      <div className="topbar-right">
        <ConnectionPill />
        <KernelFigures />
        <ThemeButton />
        <NoticeBell />
        <Clock />
      </div>
    </header>
  );
}

function ConnectionPill() {
  const connection = useHabitat((s) => s.connection);
  const mode = useHabitat((s) => s.info?.mode);
  return (
    <>
      <span className={`pill pill-${connection}`} role="status" data-testid="connection">
        <span className="pill-dot" aria-hidden="true" />
        {CONNECTION_LABEL[connection]}
      </span>
      {mode && (
        <span
          className="chip"
          data-testid="mode"
          title={mode === 'headless' ? 'A headless host, watched from a browser' : 'The desktop app'}
        >
          {mode === 'headless' ? 'Headless' : 'Desktop'}
        </span>
      )}
    </>
  );
}

function KernelFigures() {
  const cpu = useHabitat((s) => s.stats?.cpu);
  const memTotal = useHabitat((s) => s.stats?.memoryTotal ?? s.info?.host.memoryTotal);
  const memFree = useHabitat((s) => s.stats?.memoryFree ?? s.info?.host.memoryFree);
  const gpus = useHabitat((s) => s.gpus.length);
  const memUsed = memTotal !== undefined && memFree !== undefined ? memTotal - memFree : undefined;
  return (
    <div className="figures" aria-label="Host resources">
      <span className="figure" data-testid="cpu" title="Host CPU use">
        <Icon name="cpu" size={14} />
        <span className="sr-only">CPU </span>
        {cpu === undefined ? '—' : `${Math.round(cpu * 100)}%`}
      </span>
      <span className="figure" data-testid="memory" title="Host memory in use">
        <Icon name="memory" size={14} />
        <span className="sr-only">Memory </span>
        {memUsed === undefined || !memTotal ? '—' : `${formatBytes(memUsed)} / ${formatBytes(memTotal)}`}
      </span>
      <span className="figure" data-testid="gpus" title="GPUs on this host">
        <Icon name="gpu" size={14} />
        {gpus} GPU{gpus === 1 ? '' : 's'}
      </span>
    </div>
  );
}

function ThemeButton() {
  const theme = useHabitat((s) => s.theme);
  const icon = theme === 'light' ? 'sun' : theme === 'dark' ? 'moon' : 'monitor';
  return (
    <button
      type="button"
      className="topbar-button"
      data-testid="theme-toggle"
      aria-label={`Theme: ${THEME_LABEL[theme]}. Switch to ${THEME_LABEL[NEXT_THEME[theme]]}`}
      title={`Theme: ${THEME_LABEL[theme]}`}
      onClick={() => ui.setTheme(NEXT_THEME[theme])}
    >
      <Icon name={icon} size={16} />
    </button>
  );
}

function NoticeBell() {
  const unread = useHabitat((s) => s.unread);
  const open = useHabitat((s) => s.noticesOpen);
  return (
    <button
      type="button"
      className="topbar-button bell"
      aria-label={unread ? `Notifications, ${unread} unread` : 'Notifications'}
      aria-expanded={open}
      aria-controls="notification-center"
      data-testid="notifications-button"
      onClick={() => notices.toggle()}
    >
      <Icon name="bell" size={16} />
      {unread > 0 && (
        <span className="bell-count" aria-hidden="true">
          {unread > 99 ? '99+' : unread}
        </span>
      )}
    </button>
  );
}

let timeFormat: Intl.DateTimeFormat | undefined;

/** The clock's first reading waits at most this long for the agents to be listed. */
const CLOCK_FIRST_WAIT_MS = 3000;

function Clock() {
  // The first time formatting loads the locale's data (some 150 ms on a busy machine): the clock's first reading
  // waits until the agents are listed and the page is idle, so that it never delays the first paint of the desktop.
  const [now, setNow] = useState<Date | null>(null);
  const listed = useHabitat((s) => s.agentsLoaded);
  const [waited, setWaited] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setWaited(true), CLOCK_FIRST_WAIT_MS);
    return () => clearTimeout(timer);
  }, []);
  const ready = listed || waited;
  useEffect(() => {
    if (!ready) return;
    const tick = () => setNow(new Date());
    const first = window.requestIdleCallback
      ? window.requestIdleCallback(tick, { timeout: 1000 })
      : window.setTimeout(tick, 200);
    const timer = setInterval(tick, 15_000);
    return () => {
      if (window.cancelIdleCallback) window.cancelIdleCallback(first);
      else clearTimeout(first);
      clearInterval(timer);
    };
  }, [ready]);
  if (!now) return <time className="clock" />;
  timeFormat ??= new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' });
  return (
    <time className="clock" dateTime={now.toISOString()}>
      {timeFormat.format(now)}
    </time>
  );
}
