import { FS_MAX_NAME_BYTES, FS_MAX_PATH_LENGTH } from '../../shared/protocol/fs.js';
import { fsError } from './errors.js';

/** No lone UTF-16 surrogate (String#isWellFormed is ES2024, beyond the project's lib). */
export function isWellFormedUnicode(text: string): boolean {
  return !/\p{Cs}/u.test(text);
}

/** The home-relative form used in results and events: components joined by '/', '.' for the home itself. */
export function joinHomePath(components: readonly string[]): string {
  return components.length === 0 ? '.' : components.join('/');
}

/**
 * Parses a protocol path into the components of a location inside the home, or throws.
 *
 * Decisions, in the order they apply:
 * - NUL bytes, lone UTF-16 surrogates, backslashes and paths over 4096 characters or bytes are malformed (E_INVALID).
 *   Backslashes are refused on every platform so a name means the same thing on Windows, where it is a separator.
 * - A leading '/' or a drive letter ('C:') makes the path absolute: refused (E_DENIED), even when it points into the
 *   home, because paths are home-relative by contract.
 * - A leading '~' alone or '~/' names the home; '~name' is an ordinary name.
 * - Empty and '.' components are dropped. '..' is resolved lexically and may climb up to the home, never above it
 *   (E_DENIED). Lexical resolution is sound here because the walk never follows symlinks: 'a/..' cannot mean
 *   anything but the folder that holds 'a'.
 * - Nothing is decoded: '..%2f' and '%2e%2e' are literal names.
 * - A component over 255 bytes (UTF-8) is refused (E_INVALID) before the file system sees it.
 */
export function parseHomePath(input: string): string[] {
  if (typeof input !== 'string') throw fsError('E_INVALID', 'a path must be a string');
  if (input.length > FS_MAX_PATH_LENGTH || Buffer.byteLength(input) > FS_MAX_PATH_LENGTH) {
    throw fsError('E_INVALID', `path is longer than ${FS_MAX_PATH_LENGTH} bytes`);
  }
  if (input.includes('\0')) throw fsError('E_INVALID', 'path contains a NUL byte');
  if (!isWellFormedUnicode(input)) throw fsError('E_INVALID', 'path is not valid Unicode (a lone surrogate)');
  if (input.includes('\\')) throw fsError('E_INVALID', "path contains a backslash: use '/' between names");
  if (input.startsWith('/') || /^[A-Za-z]:/.test(input)) {
    throw fsError(
      'E_DENIED',
      "absolute paths are refused: paths are relative to the agent's home (or start with ~/)",
    );
  }
  const relative = input === '~' ? '' : input.startsWith('~/') ? input.slice(2) : input;
  const components: string[] = [];
  for (const part of relative.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (components.length === 0)
        throw fsError('E_DENIED', `'${input.slice(0, 200)}' climbs out of the agent's home`);
      components.pop();
      continue;
    }
    if (Buffer.byteLength(part) > FS_MAX_NAME_BYTES) {
      throw fsError('E_INVALID', `a name in the path is longer than ${FS_MAX_NAME_BYTES} bytes`);
    }
    components.push(part);
  }
  return components;
}
