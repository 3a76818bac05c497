import { describe, expect, it } from 'vitest';
import { decodeFile, encodeText, lineEnding } from './text.js';

const bytes = (...values: number[]) => new Uint8Array(values);
const utf8 = (text: string) => new TextEncoder().encode(text);
const back = (text: string, eol: '\n' | '\r\n') => [...new TextEncoder().encode(encodeText(text, eol))];

describe('decodeFile', () => {
  it('edits valid UTF-8, and what it writes back is the same bytes', () => {
    for (const text of [
      '',
      'plain\n',
      'caf\u00e9 \u{1f600}\n',
      'no newline at the end',
      '\ufeffwith a BOM\n',
    ]) {
      const decoded = decodeFile(utf8(text));
      expect(decoded.kind).toBe('text');
      if (decoded.kind !== 'text') continue;
      expect(back(decoded.text, decoded.eol)).toEqual([...utf8(text)]);
    }
  });

  it('keeps a byte-order mark (TextDecoder drops it unless told not to)', () => {
    const decoded = decodeFile(bytes(0xef, 0xbb, 0xbf, 0x61));
    expect(decoded).toEqual({ kind: 'text', text: '\ufeffa', eol: '\n' });
  });

  it('edits CRLF files in LF, as CodeMirror does, and writes CRLF back', () => {
    const decoded = decodeFile(utf8('one\r\ntwo\r\n'));
    expect(decoded).toEqual({ kind: 'text', text: 'one\ntwo\n', eol: '\r\n' });
    expect(encodeText('one\ntwo\nthree\n', '\r\n')).toBe('one\r\ntwo\r\nthree\r\n');
  });

  it('shows invalid UTF-8 (Latin-1 text) read-only: an edit would turn its bytes into U+FFFD', () => {
    const latin1 = bytes(0x63, 0x61, 0x66, 0xe9, 0x0a); // 'café\n' in Latin-1
    const decoded = decodeFile(latin1);
    expect(decoded.kind).toBe('readonly');
    if (decoded.kind === 'readonly') {
      expect(decoded.text).toBe('caf\ufffd\n');
      expect(decoded.reason).toMatch(/not valid UTF-8/);
    }
    // one bad byte is enough: before, up to two were edited and saved as EF BF BD
    expect(decodeFile(utf8('a'.repeat(100)).map((b, i) => (i === 50 ? 0xff : b))).kind).toBe('readonly');
  });

  it('shows mixed line endings read-only', () => {
    expect(decodeFile(utf8('one\r\ntwo\nthree')).kind).toBe('readonly');
    expect(decodeFile(utf8('old mac\rline')).kind).toBe('readonly');
  });

  it('calls NUL bytes and mostly invalid bytes binary', () => {
    expect(decodeFile(bytes(0x61, 0x00, 0x62))).toEqual({ kind: 'binary' });
    expect(decodeFile(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe, 0xfd))).toEqual({
      kind: 'binary',
    });
  });

  it('never edits the beginning of a larger file, and a character cut at the end does not make it binary', () => {
    const cut = utf8('caf\u00e9').slice(0, 4); // the é cut in half
    const decoded = decodeFile(cut, false);
    expect(decoded.kind).toBe('readonly');
  });
});

describe('lineEnding', () => {
  it('tells LF, CRLF and mixed apart', () => {
    expect(lineEnding('a')).toBe('\n');
    expect(lineEnding('a\nb\n')).toBe('\n');
    expect(lineEnding('a\r\nb\r\n')).toBe('\r\n');
    expect(lineEnding('a\r\nb\n')).toBeNull();
    expect(lineEnding('a\rb')).toBeNull();
    expect(lineEnding('a\r\n\rb')).toBeNull();
  });
});
