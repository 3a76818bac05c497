/** Sites a link in the app may open in the user's browser: documentation and model providers, over https only. */
export const EXTERNAL_HOSTS: ReadonlySet<string> = new Set([
  'github.com',
  'ai.google.dev',
  'aistudio.google.com',
  'ollama.com',
  'www.electronjs.org',
]);

/** Whether a URL may be handed to shell.openExternal: https, an allow-listed host, no credentials, a default port. */
export function isAllowedExternal(url: string, hosts: ReadonlySet<string> = EXTERNAL_HOSTS): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (
    parsed.protocol === 'https:' &&
    parsed.username === '' &&
    parsed.password === '' &&
    parsed.port === '' &&
    hosts.has(parsed.hostname)
  );
}

/**
 * The app's only way to open a link in the user's browser: what the allow-list refuses is not opened. Returns whether
 * it was. `open` is Electron's shell.openExternal.
 */
export function openAllowedExternal(url: string, open: (url: string) => Promise<void>): boolean {
  if (!isAllowedExternal(url)) return false;
  void open(url).catch(() => undefined);
  return true;
}
