// Which files the editor may change. A file is edited only when saving it writes back exactly the bytes it was read
// from, apart from the person's edits: the editor holds strings, and a lossy decode (invalid UTF-8 turned into U+FFFD,
// a byte-order mark dropped, CRLF turned into LF by CodeMirror) would rewrite bytes nobody touched.

/** How lines end in a file the editor may change: CodeMirror itself always works in '\n'. */
export type LineEnding = '\n' | '\r\n';

export type Decoded =
  /** Lossless: `text` is what the editor shows (lines joined by '\n'); encodeText(text, eol) gives the bytes back. */
  | { kind: 'text'; text: string; eol: LineEnding }
  /** Text that cannot be written back unchanged (or only its beginning): shown read-only, with why. */
  | { kind: 'readonly'; text: string; reason: string }
  | { kind: 'binary' };

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * What to show for a file's bytes. `complete` false: these are only its first bytes (the file is larger than the
 * preview reads), so it is never edited, and a character cut at the end does not make it binary.
 */
export function decodeFile(bytes: Uint8Array, complete = true): Decoded {
  if (!complete) {
    const text = lenient.decode(bytes);
    return looksLikeText(text)
      ? { kind: 'readonly', text, reason: 'it is too large to edit here; its beginning is shown' }
      : { kind: 'binary' };
  }
  let text: string;
  try {
    text = strict.decode(bytes);
  } catch {
    const lossy = lenient.decode(bytes);
    return looksLikeText(lossy)
      ? {
          kind: 'readonly',
          text: lossy,
          reason: 'it is not valid UTF-8 text, and saving it from here would change its bytes',
        }
      : { kind: 'binary' };
  }
  if (text.includes('\u0000')) return { kind: 'binary' };
  const eol = lineEnding(text);
  if (eol === null) {
    return {
      kind: 'readonly',
      text,
      reason: 'its lines end in different ways (CRLF and LF), and saving it from here would change them',
    };
  }
  return { kind: 'text', text: eol === '\r\n' ? text.replaceAll('\r\n', '\n') : text, eol };
}

/** The text to write for what the editor holds: the file's own line endings back. */
export function encodeText(text: string, eol: LineEnding): string {
  return eol === '\r\n' ? text.replaceAll('\n', '\r\n') : text;
}

/** '\n' or '\r\n' when every line ends the same way (a file of one line counts as '\n'), null when they are mixed. */
export function lineEnding(text: string): LineEnding | null {
  const crlf = text.split('\r\n').length - 1;
  const cr = text.split('\r').length - 1;
  const lf = text.split('\n').length - 1;
  if (cr === 0) return '\n';
  return crlf === cr && crlf === lf ? '\r\n' : null;
}

/** Text, as far as a read-only viewer is concerned: no NUL bytes, and few replacement characters. */
export function looksLikeText(content: string): boolean {
  if (content.includes('\u0000')) return false;
  let bad = 0;
  for (let i = 0; i < content.length && i < 8192; i++) if (content.charCodeAt(i) === 0xfffd) bad++;
  return bad <= Math.max(2, Math.min(content.length, 8192) / 100);
}
