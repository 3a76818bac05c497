import { useEffect, useState, type ReactNode } from 'react';
import type { HabitatApi } from '../../../shared/client/index.js';
import { VncViewer, VncWall } from './VncViewer.js';

/** `#/vnc/<pid>`: one agent's desktop, full size; `#/vnc/wall[/<pid>,<pid>…]`: thumbnails of graphical agents. */
export type VncRoute = { kind: 'desktop'; pid: number } | { kind: 'wall'; pids: number[] | undefined };

export function vncRoute(hash: string): VncRoute | undefined {
  const desktop = /^#\/vnc\/(\d{1,10})$/.exec(hash);
  if (desktop) return { kind: 'desktop', pid: Number(desktop[1]) };
  const wall = /^#\/vnc\/wall(?:\/(\d{1,10}(?:,\d{1,10})*))?$/.exec(hash);
  if (wall) return { kind: 'wall', pids: wall[1]?.split(',').map(Number) };
  return undefined;
}

/**
 * A page of its own for the viewer, until the desktop and Mission Control mount it: the route the end-to-end
 * tests and the benchmark open.
 */
export function VncPage({ api, route }: { api: HabitatApi; route: VncRoute }) {
  if (route.kind === 'desktop') {
    return (
      <main className="vnc-page" style={{ height: '100vh', display: 'flex' }}>
        <VncViewer api={api} pid={route.pid} style={{ flex: 1 }} />
      </main>
    );
  }
  return <LiveWall api={api} pids={route.pids} />;
}

/** Shows the viewer's page while the address names a VNC route (#/vnc/…), else the children. */
export function WithVncRoutes({ api, children }: { api: HabitatApi; children: ReactNode }) {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const follow = (): void => setHash(window.location.hash);
    window.addEventListener('hashchange', follow);
    return () => window.removeEventListener('hashchange', follow);
  }, []);
  const route = vncRoute(hash);
  return route ? <VncPage key={hash} api={api} route={route} /> : <>{children}</>;
}

/** Every graphical agent with a display, kept current from vnc.started and vnc.stopped. */
function LiveWall({ api, pids }: { api: HabitatApi; pids: number[] | undefined }) {
  const [listed, setListed] = useState<number[]>([]);
  useEffect(() => {
    if (pids) return;
    let alive = true;
    const refresh = (): void => {
      void api.call('vnc.list', {}).then(
        ({ displays }) => alive && setListed(displays.map((d) => d.pid).sort((a, b) => a - b)),
        () => undefined,
      );
    };
    refresh();
    const offStarted = api.subscribe('vnc.started.*', refresh);
    const offStopped = api.subscribe('vnc.stopped.*', refresh);
    // the first call can come before the bridge is up, and events are missed while it is down
    const offConnection = api.onConnectionChange((state) => state === 'open' && refresh());
    return () => {
      alive = false;
      offStarted();
      offStopped();
      offConnection();
    };
  }, [api, pids]);
  return (
    <main className="vnc-page">
      <VncWall api={api} pids={pids ?? listed} onOpen={(pid) => (window.location.hash = `#/vnc/${pid}`)} />
    </main>
  );
}
