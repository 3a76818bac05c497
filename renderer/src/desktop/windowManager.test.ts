import { describe, expect, it } from 'vitest';
import {
  arrangeWindows,
  clampRect,
  closeWindow,
  cycleWindows,
  effectiveRect,
  emptyWindows,
  focusWindow,
  fromLayout,
  minimizeWindow,
  MIN_H,
  MIN_W,
  openWindow,
  setWindowRect,
  snapWindow,
  toggleMaximize,
  toLayout,
  topmost,
  type WindowsState,
} from './windowManager.js';

const area = { w: 1400, h: 800 };

function three(): WindowsState {
  let s = emptyWindows();
  s = openWindow(s, { kind: 'missionControl', title: 'MC' }, area, 'a');
  s = openWindow(s, { kind: 'monitor', title: 'Monitor' }, area, 'b');
  s = openWindow(s, { kind: 'settings', title: 'Settings' }, area, 'c');
  return s;
}
const order = (s: WindowsState) => [...s.windows].sort((x, y) => y.z - x.z).map((w) => w.id);

describe('the window manager', () => {
  it('opens windows on top, focused, cascaded so that none covers another exactly', () => {
    const s = three();
    expect(s.focusedId).toBe('c');
    expect(order(s)).toEqual(['c', 'b', 'a']);
    const rects = s.windows.map((w) => `${w.rect.x},${w.rect.y}`);
    expect(new Set(rects).size).toBe(3);
  });

  it('brings an app that is already open forward instead of opening it twice; agents get one window each', () => {
    let s = three();
    s = openWindow(s, { kind: 'missionControl', title: 'MC' }, area, 'dup');
    expect(s.windows).toHaveLength(3);
    expect(s.focusedId).toBe('a');
    s = openWindow(s, { kind: 'agentVm', props: { pid: 1 }, title: 'one' }, area, 'vm1');
    s = openWindow(s, { kind: 'agentVm', props: { pid: 2 }, title: 'two' }, area, 'vm2');
    s = openWindow(s, { kind: 'agentVm', props: { pid: 1, tab: 'logs' }, title: 'one' }, area, 'vm1b');
    expect(s.windows.filter((w) => w.kind === 'agentVm')).toHaveLength(2);
    expect(s.focusedId).toBe('vm1');
    expect(s.windows.find((w) => w.id === 'vm1')!.props).toEqual({ pid: 1, tab: 'logs' });
  });

  it('focus raises to the top and keeps z dense; focusing a minimised window restores it', () => {
    let s = three();
    s = focusWindow(s, 'a');
    expect(order(s)).toEqual(['a', 'c', 'b']);
    expect(s.windows.map((w) => w.z).sort()).toEqual([1, 2, 3]);
    s = minimizeWindow(s, 'b');
    s = focusWindow(s, 'b');
    expect(s.windows.find((w) => w.id === 'b')!.minimized).toBe(false);
    expect(s.focusedId).toBe('b');
    for (let i = 0; i < 1000; i++) s = focusWindow(s, ['a', 'b', 'c'][i % 3]!);
    expect(Math.max(...s.windows.map((w) => w.z))).toBe(3);
  });

  it('minimising or closing the focused window focuses the next one down', () => {
    let s = three();
    s = minimizeWindow(s, 'c');
    expect(s.focusedId).toBe('b');
    expect(topmost(s)?.id).toBe('b');
    s = closeWindow(s, 'b');
    expect(s.focusedId).toBe('a');
    s = closeWindow(s, 'a');
    expect(s.focusedId).toBeNull(); // c is minimised: nothing visible to focus
  });

  it('maximise and snap are places over the floating rectangle, which they keep to return to', () => {
    let s = three();
    const floating = s.windows.find((w) => w.id === 'b')!.rect;
    s = toggleMaximize(s, 'b');
    expect(
      effectiveRect(
        s.windows.find((w) => w.id === 'b')!,
        area,
      ),
    ).toEqual({ x: 0, y: 0, w: 1400, h: 800 });
    s = snapWindow(s, 'b', 'left');
    let b = s.windows.find((w) => w.id === 'b')!;
    expect(b.maximized).toBe(false);
    expect(effectiveRect(b, area)).toEqual({ x: 0, y: 0, w: 700, h: 800 });
    s = snapWindow(s, 'b', 'right');
    expect(
      effectiveRect(
        s.windows.find((w) => w.id === 'b')!,
        area,
      ),
    ).toEqual({ x: 700, y: 0, w: 700, h: 800 });
    s = snapWindow(s, 'b', 'right'); // again: floats
    b = s.windows.find((w) => w.id === 'b')!;
    expect(b.snap).toBeNull();
    expect(effectiveRect(b, area)).toEqual(floating);
  });

  it('moving or resizing ends a special place, and a rectangle always keeps its title bar reachable', () => {
    let s = snapWindow(three(), 'a', 'left');
    s = setWindowRect(s, 'a', { x: 5000, y: -300, w: 10, h: 10 }, area);
    const a = s.windows.find((w) => w.id === 'a')!;
    expect(a.snap).toBeNull();
    expect(a.rect.w).toBe(MIN_W);
    expect(a.rect.h).toBe(MIN_H);
    expect(a.rect.y).toBe(0);
    expect(a.rect.x).toBeLessThanOrEqual(area.w - 96);
    expect(clampRect({ x: -5000, y: 0, w: 600, h: 400 }, area).x).toBe(96 - 600);
    expect(clampRect({ x: 0, y: 0, w: 5000, h: 5000 }, area)).toMatchObject({ w: 1400, h: 800 });
  });

  it('cycles forward through every visible window and back again', () => {
    let s = three(); // top: c, b, a
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      s = cycleWindows(s, 1);
      seen.push(s.focusedId!);
    }
    expect(seen).toEqual(['a', 'b', 'c']);
    s = cycleWindows(s, -1);
    expect(s.focusedId).toBe('b');
    expect(order(s)[2]).toBe('c'); // the one it left went to the bottom
    s = minimizeWindow(s, 'a');
    const visited = new Set<string>();
    for (let i = 0; i < 4; i++) visited.add((s = cycleWindows(s, 1)).focusedId!);
    expect(visited).toEqual(new Set(['b', 'c']));
  });

  it('arranges windows as a cascade, restoring minimised and snapped ones', () => {
    let s = minimizeWindow(snapWindow(three(), 'b', 'right'), 'c');
    s = arrangeWindows(s, area);
    expect(s.windows.every((w) => !w.minimized && w.snap === null && !w.maximized)).toBe(true);
    const xs = [...s.windows].sort((x, y) => x.z - y.z).map((w) => w.rect.x);
    expect(xs).toEqual([...xs].sort((x, y) => x - y));
  });

  it('saves a layout and restores it, and refuses what is not one', () => {
    let s = snapWindow(three(), 'b', 'right');
    s = minimizeWindow(s, 'a');
    const saved = JSON.parse(JSON.stringify(toLayout(s)));
    const restored = fromLayout(saved, area)!;
    expect(restored.windows).toEqual(s.windows);
    expect(restored.focusedId).toBe(s.focusedId);
    expect(fromLayout(undefined, area)).toBeUndefined();
    expect(fromLayout({ version: 99, windows: [] }, area)).toBeUndefined();
    const odd = fromLayout(
      {
        version: 1,
        focusedId: 'nope',
        windows: [
          { id: 'x', kind: 'not-an-app', rect: {} },
          { id: 'y', kind: 'agentVm', props: { pid: -4, tab: 'logs' }, rect: { x: 'a' }, snap: 'up' },
          { id: 'y', kind: 'files' },
        ],
      },
      area,
    )!;
    expect(odd.windows).toHaveLength(1);
    expect(odd.windows[0]).toMatchObject({ id: 'y', kind: 'agentVm', props: { tab: 'logs' }, snap: null });
    expect(odd.focusedId).toBe('y');
  });
});
