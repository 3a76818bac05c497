import { createContext, useContext, useEffect, useRef } from 'react';

// How an app keeps its window from closing over work a person would lose (an unsaved file). Every way of closing
// a window (its Close button, its menu, Ctrl+Alt+W, closing all) goes through the store's windows.close and
// windows.closeAll, which ask the window's guards first.

/**
 * Asked before a window closes. true: it may close now. false: it stays open, and the app asks its person (save,
 * discard, cancel?) and calls `close` if the answer lets the window go (`close` closes it without asking again).
 */
export type CloseGuard = (close: () => void) => boolean;

const guards = new Map<string, Set<CloseGuard>>();

export function addCloseGuard(windowId: string, guard: CloseGuard): () => void {
  let set = guards.get(windowId);
  if (!set) guards.set(windowId, (set = new Set()));
  set.add(guard);
  return () => {
    set.delete(guard);
    if (set.size === 0 && guards.get(windowId) === set) guards.delete(windowId);
  };
}

/** Whether a window may close now; false when one of its guards kept it open (that guard asks, then calls close). */
export function mayClose(windowId: string, close: () => void): boolean {
  for (const guard of guards.get(windowId) ?? []) if (!guard(close)) return false;
  return true;
}

/** The window an app is drawn in (WindowContent provides it), for useCloseGuard. */
export const WindowIdContext = createContext<string | null>(null);

/** Registers `guard` (the latest one rendered) for the window this component is in; outside a window, nothing. */
export function useCloseGuard(guard: CloseGuard): void {
  const windowId = useContext(WindowIdContext);
  const latest = useRef(guard);
  useEffect(() => {
    latest.current = guard;
  });
  useEffect(() => {
    if (windowId === null) return;
    return addCloseGuard(windowId, (close) => latest.current(close));
  }, [windowId]);
}
