import { useEffect } from 'react';
import { useHabitat, ui, windows } from '../store/store.js';

export type ShortcutAction =
  | 'smartBar'
  | 'cycleNext'
  | 'cyclePrev'
  | 'snapLeft'
  | 'snapRight'
  | 'maximize'
  | 'minimize'
  | 'close'
  | 'deploy'
  | 'missionControl';

export interface KeyLike {
  key: string;
  code: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

/** What people read (Settings, README) and what matchShortcut implements: keep the two together. */
export const SHORTCUTS: { keys: string; does: string }[] = [
  {
    keys: 'Ctrl+K or ⌘K',
    does: "Smart Bar (in a terminal or an agent's desktop, Ctrl+K stays there: use Ctrl+Shift+K)",
  },
  { keys: 'Ctrl+`  /  Ctrl+Shift+`', does: 'Cycle through windows, forward or back' },
  { keys: 'Ctrl+Alt+←  /  →', does: 'Snap the focused window to the left or right half' },
  { keys: 'Ctrl+Alt+↑', does: 'Maximise or restore the focused window' },
  { keys: 'Ctrl+Alt+↓', does: 'Minimise the focused window' },
  { keys: 'Ctrl+Alt+W', does: 'Close the focused window' },
  { keys: 'Ctrl+Alt+N', does: 'Deploy an agent' },
  { keys: 'Ctrl+Alt+M', does: 'Mission Control' },
  { keys: 'Arrows / Shift+arrows on a title bar', does: 'Move / resize that window' },
  { keys: 'Shift+F10 or the menu key', does: 'Context menu of what has focus' },
];

/**
 * The desktop's shortcuts. A terminal keeps plain Ctrl+K (the shell's "kill to end of line"); every other
 * combination here is one no shell or browser needs.
 */
export function matchShortcut(e: KeyLike, inTerminal: boolean): ShortcutAction | undefined {
  const mod = e.ctrlKey || e.metaKey;
  if (mod && !e.altKey && e.key.toLowerCase() === 'k') {
    return e.shiftKey || e.metaKey || !inTerminal ? 'smartBar' : undefined;
  }
  if (e.ctrlKey && !e.altKey && !e.metaKey && e.code === 'Backquote')
    return e.shiftKey ? 'cyclePrev' : 'cycleNext';
  if (e.ctrlKey && e.altKey && !e.metaKey) {
    switch (e.key) {
      case 'ArrowLeft':
        return 'snapLeft';
      case 'ArrowRight':
        return 'snapRight';
      case 'ArrowUp':
        return 'maximize';
      case 'ArrowDown':
        return 'minimize';
    }
    switch (e.code) {
      case 'KeyW':
        return 'close';
      case 'KeyN':
        return 'deploy';
      case 'KeyM':
        return 'missionControl';
    }
  }
  return undefined;
}

export function runShortcut(action: ShortcutAction): void {
  const focused = useHabitat.getState().wm.focusedId;
  switch (action) {
    case 'smartBar':
      if (useHabitat.getState().smartBarOpen) ui.closeSmartBar();
      else ui.openSmartBar();
      return;
    case 'cycleNext':
      return windows.cycle(1);
    case 'cyclePrev':
      return windows.cycle(-1);
    case 'deploy':
      return ui.openDeploy();
    case 'missionControl':
      return windows.openApp('missionControl');
  }
  if (!focused) return;
  if (action === 'snapLeft') windows.snap(focused, 'left');
  else if (action === 'snapRight') windows.snap(focused, 'right');
  else if (action === 'maximize') windows.toggleMaximize(focused);
  else if (action === 'minimize') windows.minimize(focused);
  else if (action === 'close') windows.close(focused);
}

/** Listens in the capture phase, so that a shortcut wins over whatever has focus (a terminal, an editor). */
export function useShortcuts(): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target instanceof Element ? event.target : null;
      // a terminal, and an agent's desktop taken over, keep plain Ctrl+K for the program in them
      const action = matchShortcut(event, Boolean(target?.closest('.xterm, .vnc-screen')));
      if (!action) return;
      event.preventDefault();
      event.stopPropagation();
      runShortcut(action);
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);
}
