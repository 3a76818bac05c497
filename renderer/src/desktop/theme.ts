import { useEffect, useLayoutEffect, useSyncExternalStore } from 'react';
import { useHabitat, type ThemeSetting } from '../store/store.js';

// One media query for the page's life, its answer kept current by a listener of its own: React asks for the scheme
// on every render of every themed component, and need not make a new query (and the browser evaluate it) each time.
let media: MediaQueryList | undefined;
let prefersLight = false;

function query(): MediaQueryList | undefined {
  if (!media) {
    media = globalThis.matchMedia?.('(prefers-color-scheme: light)');
    prefersLight = media?.matches ?? false;
    media?.addEventListener('change', (event) => (prefersLight = event.matches));
  }
  return media;
}

function subscribeScheme(onChange: () => void): () => void {
  const list = query();
  list?.addEventListener('change', onChange);
  return () => list?.removeEventListener('change', onChange);
}

export function systemScheme(): 'dark' | 'light' {
  query();
  return prefersLight ? 'light' : 'dark';
}

export function resolveTheme(setting: ThemeSetting, system: 'dark' | 'light'): 'dark' | 'light' {
  return setting === 'system' ? system : setting;
}

/** The theme in effect: the setting, or the operating system's when the setting is "system" (and it follows it). */
export function useResolvedTheme(): 'dark' | 'light' {
  const setting = useHabitat((s) => s.theme);
  const system = useSyncExternalStore(subscribeScheme, systemScheme, () => 'dark' as const);
  return resolveTheme(setting, system);
}

/**
 * Puts the theme on <html>, where the stylesheet's variables and the browser's own controls pick it up. main.tsx
 * calls it before the first render, so that the first paint is already in the right colours and the whole page is
 * not styled twice.
 */
export function applyTheme(theme: 'dark' | 'light'): void {
  const root = document.documentElement;
  if (root.dataset.theme !== theme) root.dataset.theme = theme;
  if (root.style.colorScheme !== theme) root.style.colorScheme = theme;
}

/** Keeps <html> on the theme in effect as the setting or the system's scheme changes. */
export function useThemeEffect(): void {
  const theme = useResolvedTheme();
  const setting = useHabitat((s) => s.theme);
  useLayoutEffect(() => applyTheme(theme), [theme]);
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
