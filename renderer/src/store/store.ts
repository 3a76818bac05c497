import { create } from 'zustand';
import type { ConnectionState } from '../../../shared/client/index.js';
import type {
  ApprovalRequest,
  GpuInfo,
  ProcessInfo,
  SystemInfo,
  SystemStats,
  VncDisplay,
} from '../../../shared/protocol/index.js';
import { APPS, windowTitle } from '../desktop/apps.js';
import { mayClose } from '../desktop/closeGuards.js';
import * as wmOps from '../desktop/windowManager.js';
import type { AppKind, Area, Rect, Snap, WindowProps, WindowsState } from '../desktop/windowManager.js';
import { applyProcesses, noticeForChange, type AgentMap } from './agents.js';
import { applyDisplay, displayMap, type DisplayMap } from './displays.js';

// The UI's one store. Bridge events (see bind.ts) and people's actions (the functions below) are the only writers;
// components read slices of it with selectors, so that an event re-renders only what shows it.

export type ThemeSetting = 'dark' | 'light' | 'system';
export type NoticeLevel = 'info' | 'success' | 'warning' | 'error';

export interface Notice {
  id: number;
  level: NoticeLevel;
  title: string;
  body?: string;
  at: number;
  /** The agent it concerns: the notice links to its window. */
  pid?: number;
}

export interface StatsSample {
  at: number;
  cpu: number;
  memoryUsed: number;
}

export interface DeployRequest {
  goal?: string;
}

export interface MenuItem {
  label: string;
  run: () => void;
  disabled?: boolean;
  danger?: boolean;
  separatorBefore?: boolean;
  shortcut?: string;
}

export interface ContextMenuState {
  x: number;
  y: number;
  label: string;
  items: MenuItem[];
}

export interface HabitatState {
  connection: ConnectionState | 'no-token';
  /** Ever connected: a later drop shows "reconnecting" rather than the first-start screen. */
  everConnected: boolean;
  info: SystemInfo | undefined;
  stats: SystemStats | undefined;
  /** The last few minutes of samples, for the System Monitor's graphs. */
  statsHistory: StatsSample[];
  error: string | undefined;
  gpus: GpuInfo[];
  gpuWarning: string | null;
  agents: AgentMap;
  agentsLoaded: boolean;
  /** The agents came with the page (renderer/src/store/boot.ts): the socket's own list has not replaced them yet. */
  agentsFromPage: boolean;
  /** Graphical agents' displays by PID (vnc.list, then vnc.started and vnc.stopped). */
  displays: DisplayMap;
  wm: WindowsState;
  area: Area;
  notices: Notice[];
  unread: number;
  toasts: number[];
  theme: ThemeSetting;
  smartBarOpen: boolean;
  /** The agent this page shows alone (a detached Agent VM window of the desktop app), if any. */
  detached: number | undefined;
  deploy: DeployRequest | null;
  /** Actions agents wait to have approved, by request id (agent.approval events). */
  approvals: Record<string, ApprovalRequest>;
  menu: ContextMenuState | null;
  noticesOpen: boolean;
}

const HISTORY = 120;
const MAX_NOTICES = 200;

export const initialState = (): HabitatState => ({
  connection: 'connecting',
  everConnected: false,
  info: undefined,
  stats: undefined,
  statsHistory: [],
  error: undefined,
  gpus: [],
  gpuWarning: null,
  agents: {},
  agentsLoaded: false,
  agentsFromPage: false,
  displays: {},
  wm: wmOps.emptyWindows(),
  area: { w: 1280, h: 720 },
  notices: [],
  unread: 0,
  toasts: [],
  theme: 'system',
  smartBarOpen: false,
  detached: undefined,
  deploy: null,
  approvals: {},
  menu: null,
  noticesOpen: false,
});

export const useHabitat = create<HabitatState>()(initialState);
const set = useHabitat.setState;
const get = useHabitat.getState;

// ---- the kernel's facts ----

export const kernel = {
  connection(connection: HabitatState['connection']): void {
    set((s) => ({ connection, everConnected: s.everConnected || connection === 'open' }));
  },
  info(info: SystemInfo): void {
    set({ info, error: undefined });
  },
  failed(error: string): void {
    set({ error });
  },
  stats(stats: SystemStats): void {
    set((s) => ({
      stats,
      statsHistory: [
        ...s.statsHistory.slice(-(HISTORY - 1)),
        {
          at: Date.parse(stats.at) || Date.now(),
          cpu: stats.cpu,
          memoryUsed: stats.memoryTotal - stats.memoryFree,
        },
      ],
    }));
  },
  gpus(gpus: GpuInfo[], warning: string | null = null): void {
    set({ gpus, gpuWarning: warning });
  },
  /** The whole table, after a (re)connect: replaces what was known, tells nobody (nothing happened). */
  processes(list: ProcessInfo[], fromPage = false): void {
    const agents: AgentMap = Object.fromEntries(list.map((p) => [p.pid, p]));
    set((s) => ({ agents, agentsLoaded: true, agentsFromPage: fromPage, wm: retitle(s.wm, agents) }));
  },
  /** Every display, after a (re)connect: replaces what was known. */
  displays(list: VncDisplay[]): void {
    set({ displays: displayMap(list) });
  },
  /** A display started, restarted, failed or stopped. */
  displayChanged(display: VncDisplay): void {
    const before = get().displays;
    const displays = applyDisplay(before, display);
    if (displays !== before) set({ displays });
  },
  /** Live changes: applied in one batch, with a notice for each agent that ended. */
  processChanges(batch: ProcessInfo[]): void {
    const before = get().agents;
    const agents = applyProcesses(before, batch);
    if (agents === before) return;
    set({ agents });
    for (const info of batch) {
      const notice = noticeForChange(before[info.pid], info);
      if (notice) notify(notice.level, notice.title, notice.body, notice.pid);
    }
  },
};

/** Agent windows restored from a saved layout learn their agent's name once the table arrives. */
function retitle(wm: WindowsState, agents: AgentMap): WindowsState {
  let changed = false;
  const list = wm.windows.map((w) => {
    if (w.props.pid === undefined) return w;
    const title = windowTitle(w.kind, w.props, agents[w.props.pid]?.name);
    if (title === w.title) return w;
    changed = true;
    return { ...w, title };
  });
  return changed ? { ...wm, windows: list } : wm;
}

// ---- notifications ----

let nextNoticeId = 1;

export function notify(level: NoticeLevel, title: string, body?: string, pid?: number): number {
  const id = nextNoticeId++;
  const notice: Notice = {
    id,
    level,
    title,
    at: Date.now(),
    ...(body ? { body } : {}),
    ...(pid ? { pid } : {}),
  };
  set((s) => ({
    notices: [notice, ...s.notices].slice(0, MAX_NOTICES),
    unread: s.noticesOpen ? s.unread : s.unread + 1,
    toasts: [...s.toasts, id].slice(-4),
  }));
  return id;
}

export const notices = {
  dismissToast(id: number): void {
    set((s) => ({ toasts: s.toasts.filter((t) => t !== id) }));
  },
  remove(id: number): void {
    set((s) => ({ notices: s.notices.filter((n) => n.id !== id), toasts: s.toasts.filter((t) => t !== id) }));
  },
  clear(): void {
    set({ notices: [], toasts: [], unread: 0 });
  },
  toggle(open = !get().noticesOpen): void {
    set((s) => ({ noticesOpen: open, unread: open ? 0 : s.unread }));
  },
};

// ---- windows ----

function apply(f: (wm: WindowsState, area: Area) => WindowsState): void {
  set((s) => {
    const wm = f(s.wm, s.area);
    return wm === s.wm ? s : { wm };
  });
}

export const windows = {
  openApp(kind: AppKind, props: WindowProps = {}): void {
    const { wm, agents } = get();
    // an app already open keeps what it showed unless asked otherwise
    const merged = { ...wmOps.findByKey(wm, wmOps.windowKey(kind, props))?.props, ...props };
    const title = windowTitle(kind, merged, merged.pid === undefined ? undefined : agents[merged.pid]?.name);
    apply((wm, area) => wmOps.openWindow(wm, { kind, props, title, size: APPS[kind].size }, area));
  },
  openAgent(pid: number, tab?: string): void {
    windows.openApp('agentVm', tab ? { pid, tab } : { pid });
  },
  focus: (id: string) => apply((wm) => wmOps.focusWindow(wm, id)),
  /** Closes a window unless its app keeps it open to ask first (unsaved work: see closeGuards). */
  close(id: string): void {
    const close = () => apply((wm) => wmOps.closeWindow(wm, id));
    if (mayClose(id, close)) close();
    else windows.focus(id); // the window whose app asks comes forward
  },
  minimize: (id: string) => apply((wm) => wmOps.minimizeWindow(wm, id)),
  toggleMaximize: (id: string) => apply((wm) => wmOps.toggleMaximize(wm, id)),
  snap: (id: string, side: Snap) => apply((wm) => wmOps.snapWindow(wm, id, side)),
  setRect: (id: string, rect: Rect) => apply((wm, area) => wmOps.setWindowRect(wm, id, rect, area)),
  updateProps(id: string, patch: WindowProps): void {
    apply((wm) => {
      const win = wm.windows.find((w) => w.id === id);
      if (!win) return wm;
      const props = { ...win.props, ...patch };
      const name = props.pid === undefined ? undefined : get().agents[props.pid]?.name;
      return wmOps.updateWindowProps(wm, id, patch, windowTitle(win.kind, props, name));
    });
  },
  cycle: (direction: 1 | -1) => apply((wm) => wmOps.cycleWindows(wm, direction)),
  arrange: () => apply((wm, area) => wmOps.arrangeWindows(wm, area)),
  /** Closes every window (a fresh workspace) but those whose apps keep them to ask; the saved layout follows. */
  closeAll(): void {
    const kept = new Set(
      get()
        .wm.windows.filter((w) => !mayClose(w.id, () => apply((wm) => wmOps.closeWindow(wm, w.id))))
        .map((w) => w.id),
    );
    if (kept.size === 0) set({ wm: wmOps.emptyWindows() });
    else apply((wm) => wm.windows.reduce((s, w) => (kept.has(w.id) ? s : wmOps.closeWindow(s, w.id)), wm));
  },
  restore(state: WindowsState): void {
    set({ wm: state });
  },
  setArea(area: Area): void {
    const current = get().area;
    if (current.w !== area.w || current.h !== area.h) set({ area });
  },
};

// ---- the rest of the shell ----

export const ui = {
  setTheme: (theme: ThemeSetting) => set({ theme }),
  openSmartBar: () => set({ smartBarOpen: true, menu: null }),
  closeSmartBar: () => set({ smartBarOpen: false }),
  openDeploy: (request: DeployRequest = {}) => set({ deploy: request, smartBarOpen: false, menu: null }),
  closeDeploy: () => set({ deploy: null }),
  openMenu: (menu: ContextMenuState) => set({ menu }),
  closeMenu: () => set({ menu: null }),
};
