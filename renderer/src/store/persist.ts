// Small, versioned keys in localStorage: the workspace (windows and their places), the theme, deploy presets.
// Storage can be missing or full (private windows, quotas): reading falls back, writing never throws.

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export const KEYS = {
  layout: 'habitat.layout.v1',
  theme: 'habitat.theme',
  presets: 'habitat.deployPresets.v1',
  deployDefaults: 'habitat.deployDefaults.v1',
  missionControl: 'habitat.missionControl.v1',
} as const;

function storage(): KeyValueStorage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined;
  }
}

export function readJson(key: string, from: KeyValueStorage | undefined = storage()): unknown {
  try {
    const text = from?.getItem(key);
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

export function writeJson(key: string, value: unknown, to: KeyValueStorage | undefined = storage()): void {
  try {
    to?.setItem(key, JSON.stringify(value));
  } catch {
    // a full or disabled storage loses the layout, not the session
  }
}

export function removeKey(key: string, from: KeyValueStorage | undefined = storage()): void {
  try {
    from?.removeItem(key);
  } catch {
    // a disabled storage has nothing to forget
  }
}

/** A map-backed storage for tests and for pages where localStorage is unavailable. */
export function memoryStorage(): KeyValueStorage {
  const map = new Map<string, string>();
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
    removeItem: (key) => void map.delete(key),
  };
}
