import { useEffect, useRef, type MouseEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { DeployDialog } from '../deploy/DeployDialogSlot.js';
import { useHabitat, ui, windows } from '../store/store.js';
import { AppWindow } from './AppWindow.js';
import { ContextMenu } from './ContextMenu.js';
import { Dock } from './Dock.js';
import { NotificationCenter, Toasts } from './Notifications.js';
import { useShortcuts } from './shortcuts.js';
import { SmartBar } from './SmartBar.js';
import { NEXT_THEME, THEME_LABEL, useThemeEffect } from './theme.js';
import { TopBar } from './TopBar.js';
import './desktop.css';

/** The desktop: top bar, work area with the windows, dock, and the overlays (Smart Bar, deploy, menus, notices). */
export function Desktop() {
  useThemeEffect();
  useShortcuts();
  const detached = useHabitat((s) => s.detached);
  if (detached !== undefined) {
    // a detached Agent VM: the agent's window alone, with the notices that concern it
    return (
      <div className="desktop desktop-detached" data-testid="detached-agent">
        <Banners />
        <WorkArea />
        <Toasts />
      </div>
    );
  }
  return (
    <div className="desktop">
      <TopBar />
      <Banners />
      <WorkArea />
      <Dock />
      <SmartBar />
      <DeployDialog />
      <NotificationCenter />
      <Toasts />
      <ContextMenu />
    </div>
  );
}

function Banners() {
  const warnings = useHabitat(useShallow((s) => s.info?.warnings ?? []));
  const connection = useHabitat((s) => s.connection);
  const everConnected = useHabitat((s) => s.everConnected);
  return (
    <div className="banners">
      {everConnected && connection !== 'open' && (
        <p className="banner banner-warn" role="status" data-testid="reconnecting">
          {connection === 'closed'
            ? 'Disconnected from the host.'
            : 'Connection lost: reconnecting to the host…'}
        </p>
      )}
      {warnings.map((warning) => (
        <p key={warning} className="banner banner-warn" role="alert" data-testid="kernel-warning">
          {warning}
        </p>
      ))}
    </div>
  );
}

function WorkArea() {
  const ref = useRef<HTMLElement>(null);
  const ids = useHabitat(useShallow((s) => s.wm.windows.map((w) => w.id)));
  const empty = ids.length === 0;

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => windows.setArea({ w: el.clientWidth, h: el.clientHeight });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  const onContextMenu = (event: MouseEvent) => {
    const target = event.target as Element;
    if (target !== event.currentTarget && !target.closest('.desktop-hint')) return;
    event.preventDefault();
    const theme = useHabitat.getState().theme;
    ui.openMenu({
      x: event.clientX || 80,
      y: event.clientY || 80,
      label: 'Desktop',
      items: [
        { label: 'Deploy an agent…', run: () => ui.openDeploy(), shortcut: 'Ctrl+Alt+N' },
        { label: 'Mission Control', run: () => windows.openApp('missionControl'), shortcut: 'Ctrl+Alt+M' },
        { label: 'Terminal', run: () => windows.openApp('terminal') },
        { label: 'Files', run: () => windows.openApp('files') },
        { label: 'System Monitor', run: () => windows.openApp('monitor') },
        { label: 'Arrange windows', run: windows.arrange, separatorBefore: true },
        { label: `Theme: ${THEME_LABEL[NEXT_THEME[theme]]}`, run: () => ui.setTheme(NEXT_THEME[theme]) },
        { label: 'Settings', run: () => windows.openApp('settings') },
      ],
    });
  };

  return (
    <main
      ref={ref}
      className="workarea"
      aria-label="Desktop"
      tabIndex={-1}
      onContextMenu={onContextMenu}
      data-testid="workarea"
    >
      {empty && (
        <div className="desktop-hint">
          <p>No windows open.</p>
          <p>
            Press <kbd>Ctrl</kbd> <kbd>K</kbd> for the Smart Bar, or pick an app in the dock.
          </p>
        </div>
      )}
      {ids.map((id) => (
        <AppWindow key={id} id={id} />
      ))}
    </main>
  );
}
