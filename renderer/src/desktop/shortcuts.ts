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
  /** KeyboardEvent's: whether AltGr is held (then Ctrl+Alt is a character being typed, not a shortcut). */
  getModifierState?(key: string): boolean;
}

/** What matchShortcut needs to know about the machine besides the event. */
export interface ShortcutEnv {
  /** macOS: Option is the only Alt there, no AltGr exists, and Ctrl+Option never types into a field. */
  mac: boolean;
  /** What a key types on the current layout without modifiers ('n' for KeyN, 'т' on a Russian one), when known. */
  layoutKey?(code: string): string | undefined;
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

/** Ctrl+Alt+letter shortcuts, by the physical key (a layout moves letters, the shortcut stays on its key). */
const LETTER_ACTIONS: Record<string, ShortcutAction> = {
  KeyW: 'close',
  KeyN: 'deploy',
  KeyM: 'missionControl',
};

/**
 * Whether a Ctrl+Alt+letter press is someone typing a character: on Windows AltGr arrives as Ctrl+Alt, so Polish
 * AltGr+N ("ń") or German AltGr+Q ("@") would otherwise be Deploy or worse. It is typing when AltGr is held, or
 * when the key is a printable character that is neither the key's own letter nor what the key types on the current
 * layout (Ctrl+Alt+N on a Russian layout reads "т", and is the shortcut). Not on macOS, where Option composes
 * characters ("∑" for Option+W) but Ctrl+Option is never typing.
 */
function typesCharacter(e: KeyLike, env: ShortcutEnv): boolean {
  if (env.mac) return false;
  if (e.getModifierState?.('AltGraph')) return true;
  // a named key ("Dead", "Unidentified") is not a character: the code decides
  if ([...e.key].length !== 1) return false;
  const typed = e.key.toLowerCase();
  const letter = e.code.slice(3).toLowerCase();
  return typed !== letter && typed !== env.layoutKey?.(e.code)?.toLowerCase();
}

/**
 * The desktop's shortcuts. A terminal keeps plain Ctrl+K (the shell's "kill to end of line"); every other
 * combination here is one no shell or browser needs.
 */
export function matchShortcut(
  e: KeyLike,
  inTerminal: boolean,
  env: ShortcutEnv = currentEnv,
): ShortcutAction | undefined {
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
    const action = LETTER_ACTIONS[e.code];
    if (action && !typesCharacter(e, env)) return action;
  }
  return undefined;
}

/** The browser's keyboard layout map (Chromium's Keyboard API), where there is one. */
interface KeyboardLayoutSource {
  getLayoutMap(): Promise<{ get(code: string): string | undefined }>;
}

let layout: { get(code: string): string | undefined } | undefined;
const currentEnv: ShortcutEnv = {
  mac: typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent),
  layoutKey: (code) => layout?.get(code),
};

/**
 * Reads the current layout again. Called when a modifier goes down or up, so that by the time the letter of a
 * Ctrl+Alt chord arrives the map is the layout's now, even just after switching layouts. Without the API (or where
 * it is refused) only a key's own letter counts.
 */
function refreshLayout(): void {
  const keyboard = (navigator as Navigator & { keyboard?: KeyboardLayoutSource }).keyboard;
  keyboard?.getLayoutMap().then(
    (map) => (layout = map),
    () => undefined,
  );
}

const MODIFIERS = new Set(['Control', 'Alt', 'AltGraph', 'Shift', 'Meta', 'OS']);

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
    refreshLayout();
    const onModifier = (event: KeyboardEvent) => {
      if (MODIFIERS.has(event.key)) refreshLayout();
    };
    const onKey = (event: KeyboardEvent) => {
      onModifier(event);
      const target = event.target instanceof Element ? event.target : null;
      // a terminal, and an agent's desktop taken over, keep plain Ctrl+K for the program in them
      const action = matchShortcut(event, Boolean(target?.closest('.xterm, .vnc-screen')));
      if (!action) return;
      event.preventDefault();
      event.stopPropagation();
      runShortcut(action);
    };
    window.addEventListener('keydown', onKey, true);
    window.addEventListener('keyup', onModifier, true);
    window.addEventListener('focus', refreshLayout);
    return () => {
      window.removeEventListener('keydown', onKey, true);
      window.removeEventListener('keyup', onModifier, true);
      window.removeEventListener('focus', refreshLayout);
    };
  }, []);
}
