// The window manager as pure functions over plain data: the store applies them, tests call them directly, and the
// saved layout is this same data. Rectangles are relative to the work area (between the top bar and the dock).

export type AppKind = 'missionControl' | 'agentVm' | 'terminal' | 'files' | 'editor' | 'monitor' | 'settings';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Area {
  w: number;
  h: number;
}

export type Snap = 'left' | 'right';

/** What an app window shows; serialisable, because layouts are saved. */
export interface WindowProps {
  pid?: number;
  tab?: string;
  path?: string;
}

export interface WindowState {
  id: string;
  kind: AppKind;
  props: WindowProps;
  title: string;
  /** The floating rectangle; maximised and snapped windows keep it to return to. */
  rect: Rect;
  z: number;
  minimized: boolean;
  maximized: boolean;
  snap: Snap | null;
}

export interface WindowsState {
  windows: WindowState[];
  focusedId: string | null;
  nextZ: number;
}

export interface OpenSpec {
  kind: AppKind;
  props?: WindowProps;
  title: string;
  /** Preferred size; clamped to the area. */
  size?: { w: number; h: number };
}

export const MIN_W = 320;
export const MIN_H = 200;
/** How much of a window must stay inside the area so that its title bar can always be grabbed again. */
const GRAB = 96;
const TITLE_H = 36;
const CASCADE = 28;

export const emptyWindows = (): WindowsState => ({ windows: [], focusedId: null, nextZ: 1 });

/**
 * One window per app (opening it again brings it forward, pointed at what was asked), and one Agent VM per agent.
 */
export function windowKey(kind: AppKind, props: WindowProps = {}): string {
  return kind === 'agentVm' ? `${kind}:${props.pid ?? ''}` : kind;
}

export function findByKey(state: WindowsState, key: string): WindowState | undefined {
  return state.windows.find((w) => windowKey(w.kind, w.props) === key);
}

/** Where a window really is: maximised fills the area, snapped takes a half, otherwise its own rectangle. */
export function effectiveRect(win: WindowState, area: Area): Rect {
  if (win.maximized) return { x: 0, y: 0, w: area.w, h: area.h };
  if (win.snap === 'left') return { x: 0, y: 0, w: Math.floor(area.w / 2), h: area.h };
  if (win.snap === 'right') {
    const half = Math.floor(area.w / 2);
    return { x: half, y: 0, w: area.w - half, h: area.h };
  }
  return win.rect;
}

/** Keeps a rectangle usable: at least the minimum size, no bigger than the area, its title bar reachable. */
export function clampRect(rect: Rect, area: Area): Rect {
  const w = Math.max(MIN_W, Math.min(Math.round(rect.w), Math.max(MIN_W, area.w)));
  const h = Math.max(MIN_H, Math.min(Math.round(rect.h), Math.max(MIN_H, area.h)));
  const x = Math.min(Math.max(Math.round(rect.x), GRAB - w), Math.max(0, area.w - GRAB));
  const y = Math.min(Math.max(Math.round(rect.y), 0), Math.max(0, area.h - TITLE_H));
  return { x, y, w, h };
}

let counter = 0;
export function newWindowId(): string {
  counter += 1;
  return `w${Date.now().toString(36)}${counter.toString(36)}`;
}

export function openWindow(
  state: WindowsState,
  spec: OpenSpec,
  area: Area,
  id: string = newWindowId(),
): WindowsState {
  const existing = findByKey(state, windowKey(spec.kind, spec.props));
  if (existing) {
    const patched = mapWindow(state, existing.id, (w) => ({
      ...w,
      props: { ...w.props, ...spec.props },
      title: spec.title,
    }));
    return focusWindow(patched, existing.id);
  }
  const size = spec.size ?? { w: 900, h: 600 };
  const w = Math.min(size.w, Math.max(MIN_W, area.w - 40));
  const h = Math.min(size.h, Math.max(MIN_H, area.h - 40));
  // cascade from a centred start, so that new windows never cover each other exactly
  const step = state.windows.length % 8;
  const x = Math.max(0, Math.round((area.w - w) / 2) - 3 * CASCADE + step * CASCADE);
  const y = Math.max(0, Math.round((area.h - h) / 2) - 3 * CASCADE + step * CASCADE);
  const win: WindowState = {
    id,
    kind: spec.kind,
    props: spec.props ?? {},
    title: spec.title,
    rect: clampRect({ x, y, w, h }, area),
    z: state.nextZ,
    minimized: false,
    maximized: false,
    snap: null,
  };
  return { windows: [...state.windows, win], focusedId: id, nextZ: state.nextZ + 1 };
}

/** Raises a window to the top and gives it focus; a minimised window is restored. */
export function focusWindow(state: WindowsState, id: string): WindowsState {
  const win = state.windows.find((w) => w.id === id);
  if (!win) return state;
  const top = topmost(state);
  if (top?.id === id && state.focusedId === id && !win.minimized) return state;
  const raised = mapWindow(state, id, (w) => ({ ...w, z: state.nextZ, minimized: false }));
  return normalizeZ({ ...raised, focusedId: id, nextZ: state.nextZ + 1 });
}

export function closeWindow(state: WindowsState, id: string): WindowsState {
  const windows = state.windows.filter((w) => w.id !== id);
  if (windows.length === state.windows.length) return state;
  const next = { ...state, windows };
  return state.focusedId === id ? { ...next, focusedId: topmost(next)?.id ?? null } : next;
}

export function minimizeWindow(state: WindowsState, id: string): WindowsState {
  const next = mapWindow(state, id, (w) => ({ ...w, minimized: true }));
  return state.focusedId === id ? { ...next, focusedId: topmost(next)?.id ?? null } : next;
}

export function toggleMaximize(state: WindowsState, id: string): WindowsState {
  const next = mapWindow(state, id, (w) => ({ ...w, maximized: !w.maximized, snap: null }));
  return focusWindow(next, id);
}

/** Snaps to a half of the area; snapping to the half it already has lets it float again. */
export function snapWindow(state: WindowsState, id: string, side: Snap): WindowsState {
  const next = mapWindow(state, id, (w) => ({
    ...w,
    snap: w.snap === side && !w.maximized ? null : side,
    maximized: false,
  }));
  return focusWindow(next, id);
}

/** A move or resize ends a maximised or snapped window's special place: it floats at the given rectangle. */
export function setWindowRect(state: WindowsState, id: string, rect: Rect, area: Area): WindowsState {
  return mapWindow(state, id, (w) => ({
    ...w,
    rect: clampRect(rect, area),
    maximized: false,
    snap: null,
  }));
}

export function updateWindowProps(
  state: WindowsState,
  id: string,
  patch: WindowProps,
  title?: string,
): WindowsState {
  return mapWindow(state, id, (w) => ({
    ...w,
    props: { ...w.props, ...patch },
    ...(title === undefined ? {} : { title }),
  }));
}

/**
 * Ctrl+` cycling: forward raises the window at the bottom of the stack (so repeated presses visit every window);
 * backward sends the top window to the bottom and focuses the one beneath. Minimised windows are skipped.
 */
export function cycleWindows(state: WindowsState, direction: 1 | -1): WindowsState {
  const visible = state.windows.filter((w) => !w.minimized).sort((a, b) => b.z - a.z);
  if (visible.length === 0) return state;
  if (visible.length === 1) return focusWindow(state, visible[0]!.id);
  if (direction === 1) return focusWindow(state, visible[visible.length - 1]!.id);
  const top = visible[0]!;
  const lowest = visible[visible.length - 1]!.z;
  const lowered = mapWindow(state, top.id, (w) => ({ ...w, z: lowest - 1 }));
  return normalizeZ({ ...lowered, focusedId: visible[1]!.id });
}

/** Re-lays every window as a cascade from the top-left: "tidy up" when they have drifted. */
export function arrangeWindows(state: WindowsState, area: Area): WindowsState {
  const ordered = [...state.windows].sort((a, b) => a.z - b.z);
  const windows = state.windows.map((w) => {
    const index = ordered.indexOf(w);
    const rect = clampRect(
      {
        x: 24 + index * CASCADE,
        y: 16 + index * CASCADE,
        w: Math.min(w.rect.w, area.w - 48),
        h: Math.min(w.rect.h, area.h - 32),
      },
      area,
    );
    return { ...w, rect, maximized: false, snap: null, minimized: false };
  });
  return { ...state, windows };
}

export function topmost(state: WindowsState): WindowState | undefined {
  let best: WindowState | undefined;
  for (const w of state.windows) if (!w.minimized && (!best || w.z > best.z)) best = w;
  return best;
}

/** Keeps z small and dense (1..n) so that it never overflows, whatever the order of operations. */
function normalizeZ(state: WindowsState): WindowsState {
  const ordered = [...state.windows].sort((a, b) => a.z - b.z);
  if (ordered.every((w, i) => w.z === i + 1) && state.nextZ === ordered.length + 1) return state;
  const rank = new Map(ordered.map((w, i) => [w.id, i + 1]));
  return {
    ...state,
    windows: state.windows.map((w) => ({ ...w, z: rank.get(w.id)! })),
    nextZ: ordered.length + 1,
  };
}

function mapWindow(state: WindowsState, id: string, f: (w: WindowState) => WindowState): WindowsState {
  let changed = false;
  const windows = state.windows.map((w) => {
    if (w.id !== id) return w;
    changed = true;
    return f(w);
  });
  return changed ? { ...state, windows } : state;
}

// ---- saved layouts ----

export const LAYOUT_VERSION = 1;
export interface SavedLayout {
  version: typeof LAYOUT_VERSION;
  windows: WindowState[];
  focusedId: string | null;
}

export function toLayout(state: WindowsState): SavedLayout {
  return { version: LAYOUT_VERSION, windows: state.windows, focusedId: state.focusedId };
}

const KINDS: ReadonlySet<string> = new Set<AppKind>([
  'missionControl',
  'agentVm',
  'terminal',
  'files',
  'editor',
  'monitor',
  'settings',
]);

/** Reads a saved layout defensively (it comes from storage a person or an old version may have changed). */
export function fromLayout(data: unknown, area: Area): WindowsState | undefined {
  if (!isRecord(data) || data.version !== LAYOUT_VERSION || !Array.isArray(data.windows)) return undefined;
  const windows: WindowState[] = [];
  const seen = new Set<string>();
  for (const raw of data.windows) {
    if (!isRecord(raw) || typeof raw.id !== 'string' || typeof raw.kind !== 'string') continue;
    if (!KINDS.has(raw.kind) || seen.has(raw.id)) continue;
    const rect = isRecord(raw.rect) ? raw.rect : {};
    const props = isRecord(raw.props) ? raw.props : {};
    const win: WindowState = {
      id: raw.id,
      kind: raw.kind as AppKind,
      props: {
        ...(isPid(props.pid) ? { pid: props.pid } : {}),
        ...(typeof props.tab === 'string' ? { tab: props.tab } : {}),
        ...(typeof props.path === 'string' ? { path: props.path } : {}),
      },
      title: typeof raw.title === 'string' ? raw.title : raw.kind,
      rect: clampRect(
        { x: num(rect.x, 40), y: num(rect.y, 40), w: num(rect.w, 800), h: num(rect.h, 500) },
        area,
      ),
      z: num(raw.z, windows.length + 1),
      minimized: raw.minimized === true,
      maximized: raw.maximized === true,
      snap: raw.snap === 'left' || raw.snap === 'right' ? raw.snap : null,
    };
    seen.add(win.id);
    windows.push(win);
  }
  const focusedId =
    typeof data.focusedId === 'string' && seen.has(data.focusedId)
      ? data.focusedId
      : (topmost({ windows, focusedId: null, nextZ: 1 })?.id ?? null);
  return normalizeZ({ windows, focusedId, nextZ: windows.length + 1 });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
function isPid(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}
