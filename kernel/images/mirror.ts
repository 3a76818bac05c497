import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HabitatError } from '../../shared/protocol/index.js';

export const DEFAULT_DEBIAN_MIRROR = 'http://deb.debian.org/debian';

/**
 * The Debian mirror debootstrap fetches from: HABITAT_DEBIAN_MIRROR, else the machine's own apt mirror (the one
 * that is known to be reachable here), else deb.debian.org.
 */
export function detectDebianMirror(env: NodeJS.ProcessEnv = process.env, aptDir = '/etc/apt'): string {
  const override = env.HABITAT_DEBIAN_MIRROR?.trim();
  if (override) return validateMirror(override);
  return mirrorFromAptSources(aptDir) ?? DEFAULT_DEBIAN_MIRROR;
}

export function validateMirror(mirror: string): string {
  let url: URL;
  try {
    url = new URL(mirror);
  } catch {
    throw new HabitatError('E_INVALID', `not a Debian mirror URL: ${mirror}`);
  }
  if (!['http:', 'https:', 'file:'].includes(url.protocol)) {
    throw new HabitatError('E_INVALID', `a Debian mirror must be an http, https or file URL: ${mirror}`);
  }
  return mirror.replace(/\/+$/, '');
}

/** The first main-archive URI in apt's deb822 .sources files, then in the one-line sources.list format. */
export function mirrorFromAptSources(aptDir: string): string | undefined {
  const sourcesDir = join(aptDir, 'sources.list.d');
  for (const name of safeList(sourcesDir)
    .filter((n) => n.endsWith('.sources'))
    .sort()) {
    const found = mirrorFromDeb822(safeRead(join(sourcesDir, name)));
    if (found) return found;
  }
  for (const file of [join(aptDir, 'sources.list'), ...listFiles(sourcesDir, '.list')]) {
    const found = mirrorFromOneLine(safeRead(file));
    if (found) return found;
  }
  return undefined;
}

export function mirrorFromDeb822(text: string): string | undefined {
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (match?.[1] && match[2] !== undefined) fields.set(match[1].toLowerCase(), match[2].trim());
    }
    if (fields.get('enabled') === 'no') continue;
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
    const suites = (fields.get('suites') ?? '').split(/\s+/);
    const uri = (fields.get('uris') ?? '').split(/\s+/).find(isHttpUri);
    if (uri && isMainArchive(uri, suites)) return uri.replace(/\/+$/, '');
  }
  return undefined;
}

export function mirrorFromOneLine(text: string): string | undefined {
  for (const raw of text.split('\n')) {
    const line = raw
      .replace(/#.*/, '')
      .replace(/\[[^\]]*\]/, '')
      .trim();
    const [type, uri, suite] = line.split(/\s+/);
    if (type === 'deb' && uri && suite && isHttpUri(uri) && isMainArchive(uri, [suite])) {
      return uri.replace(/\/+$/, '');
    }
  }
  return undefined;
}

/** The archive that holds bookworm itself, not the security or updates pockets. */
function isMainArchive(uri: string, suites: string[]): boolean {
  return !/security/.test(uri) && suites.some((s) => /^[a-z]+$/.test(s));
}

function isHttpUri(uri: string): boolean {
  return /^https?:\/\//.test(uri);
}

function listFiles(dir: string, suffix: string): string[] {
  return safeList(dir)
    .filter((n) => n.endsWith(suffix))
    .sort()
    .map((n) => join(dir, n));
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
