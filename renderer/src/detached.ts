import { useHabitat, windows, type ThemeSetting } from './store/store.js';
import { KEYS, readJson } from './store/persist.js';

/** `#agent=<pid>`: this page is an Agent VM detached into a window of its own (the desktop app opens these). */
export function detachedAgent(hash: string): number | undefined {
  const match = /^#agent=([1-9]\d{0,9})$/.exec(hash);
  return match ? Number(match[1]) : undefined;
}

/**
 * A detached Agent VM: one maximised window showing the agent, kept in sync by the same bridge events as the main
 * window. It reads the theme but never saves a layout, so the main window's workspace stays as it was.
 */
export function startDetached(pid: number, area: { w: number; h: number }): void {
  const theme = readJson(KEYS.theme);
  if (theme === 'dark' || theme === 'light' || theme === 'system')
    useHabitat.setState({ theme: theme as ThemeSetting });
  useHabitat.setState({ area, detached: pid });
  windows.openAgent(pid);
  const id = useHabitat.getState().wm.windows[0]?.id;
  if (id) windows.toggleMaximize(id);
}
