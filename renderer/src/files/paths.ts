// Home-relative paths as the fs.* commands use them: '.' is the home, components joined by '/'.

export function joinPath(dir: string, name: string): string {
  const clean = name.replace(/^\/+|\/+$/g, '');
  return dir === '.' || dir === '' ? clean : `${dir}/${clean}`;
}

export function parentPath(path: string): string {
  const at = path.lastIndexOf('/');
  return at <= 0 ? '.' : path.slice(0, at);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The breadcrumb of a folder: Home, then each folder down to it. */
export function crumbs(path: string): { name: string; path: string }[] {
  const out = [{ name: 'Home', path: '.' }];
  if (path === '.' || path === '') return out;
  let at = '.';
  for (const part of path.split('/')) {
    at = joinPath(at, part);
    out.push({ name: part, path: at });
  }
  return out;
}

export type Language = 'javascript' | 'typescript' | 'python' | 'markdown' | 'json' | 'text';

export function languageOf(path: string): Language {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  if (['js', 'mjs', 'cjs', 'jsx'].includes(ext)) return 'javascript';
  if (['ts', 'mts', 'cts', 'tsx'].includes(ext)) return 'typescript';
  if (ext === 'py') return 'python';
  if (['md', 'markdown'].includes(ext)) return 'markdown';
  if (ext === 'json') return 'json';
  return 'text';
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
