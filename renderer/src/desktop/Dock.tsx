import { useShallow } from 'zustand/react/shallow';
import { useHabitat, ui, windows } from '../store/store.js';
import { APP_ICONS, Icon } from '../ui/Icon.js';
import { APPS, DOCK_APPS } from './apps.js';
import { findByKey, windowKey, type AppKind } from './windowManager.js';

/** Clicking an app: open it; if it is the focused window, minimise it; otherwise bring it forward. */
function activate(kind: AppKind, pid?: number): void {
  const { wm } = useHabitat.getState();
  const win = findByKey(wm, windowKey(kind, pid === undefined ? {} : { pid }));
  if (!win) windows.openApp(kind, pid === undefined ? {} : { pid });
  else if (wm.focusedId === win.id && !win.minimized) windows.minimize(win.id);
  else windows.focus(win.id);
}

export function Dock() {
  // the dock's running indicators: which app kinds have a window, and which agent windows are open
  const open = useHabitat(useShallow((s) => s.wm.windows.map((w) => w.kind)));
  const agentWindows = useHabitat(
    useShallow((s) =>
      s.wm.windows
        .filter((w) => w.kind === 'agentVm' && w.props.pid !== undefined)
        .map((w) => `${w.props.pid}|${w.title}|${w.minimized ? 1 : 0}|${s.wm.focusedId === w.id ? 1 : 0}`),
    ),
  );
  return (
    <nav className="dock" aria-label="Dock">
      <button
        type="button"
        className="dock-item dock-deploy"
        onClick={() => ui.openDeploy()}
        aria-label="Deploy an agent"
        title="Deploy an agent (Ctrl+Alt+N)"
        data-testid="dock-deploy"
      >
        <Icon name="rocket" size={22} />
      </button>
      <span className="dock-separator" aria-hidden="true" />
      {DOCK_APPS.map((kind) => {
        const running = open.includes(kind);
        return (
          <button
            key={kind}
            type="button"
            className={`dock-item${running ? ' running' : ''}`}
            onClick={() => activate(kind)}
            aria-label={APPS[kind].label}
            title={`${APPS[kind].label} — ${APPS[kind].description}`}
            data-testid={`dock-${kind}`}
          >
            <Icon name={APP_ICONS[kind]} size={22} />
          </button>
        );
      })}
      {agentWindows.length > 0 && <span className="dock-separator" aria-hidden="true" />}
      {agentWindows.map((entry) => {
        const [pidText, title, minimized, focused] = entry.split('|');
        const pid = Number(pidText);
        return (
          <button
            key={pid}
            type="button"
            className={`dock-item dock-agent running${minimized === '1' ? ' minimized' : ''}${focused === '1' ? ' focused' : ''}`}
            onClick={() => activate('agentVm', pid)}
            aria-label={`Agent ${title}${minimized === '1' ? ' (minimised)' : ''}`}
            title={title}
            data-testid={`dock-agent-${pid}`}
          >
            {/* a monogram drawn by CSS: decoration, the button's name is the agent's (label in name, WCAG 2.5.3) */}
            <span
              className="dock-agent-label"
              aria-hidden="true"
              data-initials={(title ?? '').slice(0, 2).toUpperCase()}
            />
          </button>
        );
      })}
    </nav>
  );
}
