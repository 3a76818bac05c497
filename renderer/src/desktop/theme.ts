import { useEffect, useSyncExternalStore } from 'react';
import { useHabitat, type ThemeSetting } from '../store/store.js';

const query = () => globalThis.matchMedia?.('(prefers-color-scheme: light)');

function subscribeScheme(onChange: () => void): () => void {
  const media = query();
  media?.addEventListener('change', onChange);
  return () => media?.removeEventListener('change', onChange);
}

const systemScheme = (): 'dark' | 'light' => (query()?.matches ? 'light' : 'dark');

export function resolveTheme(setting: ThemeSetting, system: 'dark' | 'light'): 'dark' | 'light' {
  return setting === 'system' ? system : setting;
}

/** The theme in effect: the setting, or the operating system's when the setting is "system" (and it follows it). */
export function useResolvedTheme(): 'dark' | 'light' {
  const setting = useHabitat((s) => s.theme);
  const system = useSyncExternalStore(subscribeScheme, systemScheme, () => 'dark' as const);
  return resolveTheme(setting, system);
}

/** Puts the theme on <html>, where the stylesheet's variables and the browser's own controls pick it up. */
export function useThemeEffect(): void {
  const theme = useResolvedTheme();
  const setting = useHabitat((s) => s.theme);
  useEffect(() => {
    const root = document.documentElement;
    root.dataset.theme = theme;
    root.style.colorScheme = theme;
  }, [theme]);
  useEffect(() => {
    // inside the desktop app, native menus and dialogs follow too (nativeTheme); a browser has no such command
    if (window.habitat) void window.habitat.call('app.setTheme', { theme: setting }).catch(() => undefined);
  }, [setting]);
}

export const THEME_LABEL: Record<ThemeSetting, string> = { dark: 'Dark', light: 'Light', system: 'System' };
export const NEXT_THEME: Record<ThemeSetting, ThemeSetting> = {
  dark: 'light',
  light: 'system',
  system: 'dark',
};
