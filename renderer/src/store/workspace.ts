import { fromLayout, toLayout, type Area } from '../desktop/windowManager.js';
import { KEYS, readJson, writeJson, type KeyValueStorage } from './persist.js';
import { useHabitat, windows, type ThemeSetting } from './store.js';

const SAVE_DELAY_MS = 300;

/**
 * Restores the last workspace (windows, their places and what they show) and the theme, then saves them as they
 * change. A first visit opens Mission Control.
 */
export function startWorkspace(area: Area, storage?: KeyValueStorage): () => void {
  const theme = readJson(KEYS.theme, storage);
  if (theme === 'dark' || theme === 'light' || theme === 'system')
    useHabitat.setState({ theme: theme as ThemeSetting });
  useHabitat.setState({ area });
  const restored = fromLayout(readJson(KEYS.layout, storage), area);
  if (restored) windows.restore(restored);
  else windows.openApp('missionControl');

  let timer: ReturnType<typeof setTimeout> | undefined;
  const save = () => {
    timer = undefined;
    const state = useHabitat.getState();
    writeJson(KEYS.layout, toLayout(state.wm), storage);
    writeJson(KEYS.theme, state.theme, storage);
  };
  const off = useHabitat.subscribe((state, previous) => {
    if (state.wm === previous.wm && state.theme === previous.theme) return;
    if (timer === undefined) timer = setTimeout(save, SAVE_DELAY_MS);
  });
  const flush = () => {
    if (timer !== undefined) {
      clearTimeout(timer);
      save();
    }
  };
  globalThis.addEventListener?.('pagehide', flush);
  return () => {
    off();
    flush();
    globalThis.removeEventListener?.('pagehide', flush);
  };
}
