import {
  memo,
  useEffect,
  useRef,
  useState,
  type KeyboardEvent as ReactKeyboardEvent,
  type MouseEvent as ReactMouseEvent,
  type PointerEvent as ReactPointerEvent,
} from 'react';
import { useShallow } from 'zustand/react/shallow';
import { useHabitat, ui, windows } from '../store/store.js';
import { APP_ICONS, Icon } from '../ui/Icon.js';
import { IconButton } from '../ui/Button.js';
import { usePageVisible } from '../ui/usePageVisible.js';
import { WindowContent } from './WindowContent.js';
import { effectiveRect, MIN_H, MIN_W, type Rect, type Snap, type WindowState } from './windowManager.js';

type Edge = 'n' | 's' | 'e' | 'w' | 'ne' | 'nw' | 'se' | 'sw';
const EDGES: Edge[] = ['n', 's', 'e', 'w', 'ne', 'nw', 'se', 'sw'];
const SNAP_ZONE = 8;
const KEY_STEP = 16;

/**
 * One window's frame: title bar (drag, double-click to maximise, context menu, arrow keys), controls and resize
 * handles. A gesture moves only this frame (local state, no store writes per pointer move); the store gets the
 * final rectangle when the pointer is released.
 */
export const AppWindow = memo(function AppWindow({ id }: { id: string }) {
  const win = useHabitat((s) => s.wm.windows.find((w) => w.id === id));
  const focused = useHabitat((s) => s.wm.focusedId === id);
  const area = useHabitat(useShallow((s) => s.area));
  const [live, setLive] = useState<Rect | null>(null);
  const [preview, setPreview] = useState<Snap | 'max' | null>(null);
  const ref = useRef<HTMLElement>(null);
  const pageVisible = usePageVisible();

  useEffect(() => {
    // keyboard cycling and newly opened windows take the focus with them, so typing goes where the eye is
    const el = ref.current;
    if (focused && el && !el.contains(document.activeElement)) el.focus({ preventScroll: true });
  }, [focused]);

  if (!win) return null;
  const rect = live ?? effectiveRect(win, area);
  const titleId = `${id}-title`;

  const drag = (event: ReactPointerEvent<HTMLElement>) => {
    if (event.button !== 0 || (event.target as Element).closest('button')) return;
    event.preventDefault();
    startGesture(event, (dx, dy, pointer, origin) => {
      const start = effectiveRect(win, area);
      let next: Rect;
      if (win.maximized || win.snap) {
        // leave the special place at the floating size, keeping the grabbed point under the pointer
        const ratio = (pointer.startX - origin.left - start.x) / start.w;
        next = { ...win.rect, x: pointer.x - origin.left - ratio * win.rect.w, y: start.y + dy };
      } else {
        next = { ...start, x: start.x + dx, y: start.y + dy };
      }
      const px = pointer.x - origin.left;
      const py = pointer.y - origin.top;
      const zone: Snap | 'max' | null =
        px <= SNAP_ZONE ? 'left' : px >= origin.width - SNAP_ZONE ? 'right' : py <= 2 ? 'max' : null;
      return { rect: next, zone };
    });
  };

  const resize = (edge: Edge) => (event: ReactPointerEvent<HTMLElement>) => {
    if (event.button !== 0) return;
    event.preventDefault();
    event.stopPropagation();
    startGesture(event, (dx, dy) => ({
      rect: resizeRect(effectiveRect(win, area), edge, dx, dy),
      zone: null,
    }));
  };

  /** Follows one pointer gesture; commits the last rectangle (or the snap zone it ended in) on release. */
  function startGesture(
    event: ReactPointerEvent<HTMLElement>,
    step: (
      dx: number,
      dy: number,
      pointer: { x: number; y: number; startX: number },
      origin: DOMRect,
    ) => { rect: Rect; zone: Snap | 'max' | null },
  ) {
    windows.focus(id);
    const target = event.currentTarget;
    const origin = ref.current!.parentElement!.getBoundingClientRect();
    const startX = event.clientX;
    const startY = event.clientY;
    let last: { rect: Rect; zone: Snap | 'max' | null } | null = null;
    let frame = 0;
    target.setPointerCapture(event.pointerId);
    const move = (ev: PointerEvent) => {
      const dx = ev.clientX - startX;
      const dy = ev.clientY - startY;
      if (!last && Math.abs(dx) + Math.abs(dy) < 3) return;
      last = step(dx, dy, { x: ev.clientX, y: ev.clientY, startX }, origin);
      if (!frame) {
        frame = requestAnimationFrame(() => {
          frame = 0;
          if (!last) return;
          setLive(last.rect);
          setPreview(last.zone);
        });
      }
    };
    const end = () => {
      target.removeEventListener('pointermove', move);
      target.removeEventListener('pointerup', end);
      target.removeEventListener('pointercancel', end);
      if (frame) cancelAnimationFrame(frame);
      setLive(null);
      setPreview(null);
      if (!last) return;
      if (last.zone === 'left' || last.zone === 'right') {
        windows.setRect(id, win!.rect);
        windows.snap(id, last.zone);
      } else if (last.zone === 'max') {
        windows.setRect(id, win!.rect);
        windows.toggleMaximize(id);
      } else {
        windows.setRect(id, last.rect);
      }
    };
    target.addEventListener('pointermove', move);
    target.addEventListener('pointerup', end);
    target.addEventListener('pointercancel', end);
  }

  const onTitleKey = (event: ReactKeyboardEvent) => {
    const delta = {
      ArrowLeft: [-KEY_STEP, 0],
      ArrowRight: [KEY_STEP, 0],
      ArrowUp: [0, -KEY_STEP],
      ArrowDown: [0, KEY_STEP],
    }[event.key];
    if (!delta || event.ctrlKey || event.altKey || event.metaKey || event.target !== event.currentTarget)
      return;
    event.preventDefault();
    const [dx, dy] = delta as [number, number];
    const start = effectiveRect(win, area);
    windows.setRect(
      id,
      event.shiftKey
        ? { ...start, w: Math.max(MIN_W, start.w + dx), h: Math.max(MIN_H, start.h + dy) }
        : { ...start, x: start.x + dx, y: start.y + dy },
    );
  };

  const onTitleMenu = (event: ReactMouseEvent) => {
    event.preventDefault();
    event.stopPropagation();
    const box = (event.currentTarget as HTMLElement).getBoundingClientRect();
    ui.openMenu({
      x: event.clientX || box.left + 24,
      y: event.clientY || box.bottom,
      label: `${win.title} window`,
      items: windowMenu(win),
    });
  };

  return (
    <>
      {preview && (
        <div className="snap-preview" style={toStyle(previewRect(preview, area))} aria-hidden="true" />
      )}
      {/* The shadow is its own element: on the window itself it was painted again with every change inside
          (a terminal preview, a figure), which with software rendering cost more than everything else together */}
      <div
        className={`window-shadow${focused ? ' focused' : ''}${win.maximized ? ' maximized' : ''}`}
        style={{ ...toStyle(rect), zIndex: win.z }}
        hidden={win.minimized}
        aria-hidden="true"
      />
      <section
        ref={ref}
        role="dialog"
        aria-modal="false"
        aria-labelledby={titleId}
        tabIndex={-1}
        className={`window${focused ? ' focused' : ''}${live ? ' moving' : ''}${win.maximized ? ' maximized' : ''}`}
        style={{ ...toStyle(rect), zIndex: win.z }}
        hidden={win.minimized}
        data-testid="window"
        data-kind={win.kind}
        data-focused={focused}
        data-snap={win.snap ?? ''}
        data-maximized={win.maximized}
        onPointerDownCapture={() => {
          if (!focused) windows.focus(id);
        }}
      >
        <header
          className="titlebar"
          onPointerDown={drag}
          onDoubleClick={(event) => {
            if (!(event.target as Element).closest('button')) windows.toggleMaximize(id);
          }}
          onContextMenu={onTitleMenu}
          onKeyDown={onTitleKey}
          tabIndex={0}
          aria-label={`${win.title}: arrows move, Shift+arrows resize`}
          data-testid="titlebar"
        >
          <Icon name={APP_ICONS[win.kind]} size={14} className="titlebar-icon" />
          <h2 id={titleId} className="titlebar-title">
            {win.title}
          </h2>
          <div className="window-controls">
            <IconButton icon="minus" label="Minimise" onClick={() => windows.minimize(id)} />
            <IconButton
              icon={win.maximized ? 'restore' : 'square'}
              label={win.maximized ? 'Restore' : 'Maximise'}
              onClick={() => windows.toggleMaximize(id)}
            />
            <IconButton icon="x" label="Close" className="close" onClick={() => windows.close(id)} />
          </div>
        </header>
        <div className="window-body">
          <WindowContent
            windowId={id}
            kind={win.kind}
            pid={win.props.pid}
            tab={win.props.tab}
            path={win.props.path}
            active={!win.minimized && pageVisible}
          />
        </div>
        {!win.maximized &&
          EDGES.map((edge) => (
            <div
              key={edge}
              className={`resize resize-${edge}`}
              onPointerDown={resize(edge)}
              aria-hidden="true"
            />
          ))}
      </section>
    </>
  );
});

function windowMenu(win: WindowState) {
  return [
    {
      label: win.minimized ? 'Show' : 'Minimise',
      run: () => (win.minimized ? windows.focus(win.id) : windows.minimize(win.id)),
    },
    {
      label: win.maximized ? 'Restore' : 'Maximise',
      run: () => windows.toggleMaximize(win.id),
      shortcut: 'Ctrl+Alt+↑',
    },
    { label: 'Snap left', run: () => windows.snap(win.id, 'left'), shortcut: 'Ctrl+Alt+←' },
    { label: 'Snap right', run: () => windows.snap(win.id, 'right'), shortcut: 'Ctrl+Alt+→' },
    {
      label: 'Close',
      run: () => windows.close(win.id),
      danger: true,
      separatorBefore: true,
      shortcut: 'Ctrl+Alt+W',
    },
  ];
}

function resizeRect(start: Rect, edge: Edge, dx: number, dy: number): Rect {
  let { x, y, w, h } = start;
  if (edge.includes('e')) w = Math.max(MIN_W, start.w + dx);
  if (edge.includes('s')) h = Math.max(MIN_H, start.h + dy);
  if (edge.includes('w')) {
    w = Math.max(MIN_W, start.w - dx);
    x = start.x + start.w - w;
  }
  if (edge.includes('n')) {
    h = Math.max(MIN_H, start.h - dy);
    y = start.y + start.h - h;
  }
  return { x, y, w, h };
}

function previewRect(zone: Snap | 'max', area: { w: number; h: number }): Rect {
  const half = Math.floor(area.w / 2);
  if (zone === 'left') return { x: 0, y: 0, w: half, h: area.h };
  if (zone === 'right') return { x: half, y: 0, w: area.w - half, h: area.h };
  return { x: 0, y: 0, w: area.w, h: area.h };
}

function toStyle(rect: Rect) {
  return { left: rect.x, top: rect.y, width: rect.w, height: rect.h };
}
