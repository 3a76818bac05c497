import { describe, expect, it } from 'vitest';
import { INPUT_CHUNK, takeChunk } from './inputChunks.js';

/** Every piece, as TerminalView sends them. */
function pieces(text: string, max?: number): string[] {
  const out: string[] = [];
  while (text) {
    const piece = takeChunk(text, max);
    out.push(piece);
    text = text.slice(piece.length);
  }
  return out;
}

const isWellFormed = (s: string) =>
  !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

describe('cutting input into pty.input calls', () => {
  it('keeps a surrogate pair that straddles the 64K boundary whole', () => {
    const text = 'a'.repeat(INPUT_CHUNK - 1) + '\u{1F600}' + 'b'.repeat(10);
    const [first, second] = pieces(text);
    expect(first).toBe('a'.repeat(INPUT_CHUNK - 1));
    expect(second).toBe('\u{1F600}' + 'b'.repeat(10));
    // what the kernel writes, piece by piece, is the paste's UTF-8 exactly
    expect(Buffer.concat(pieces(text).map((p) => Buffer.from(p))).equals(Buffer.from(text))).toBe(true);
  });

  it('cuts at the limit otherwise, and leaves short text whole', () => {
    expect(pieces('abcdef', 4)).toEqual(['abcd', 'ef']);
    expect(pieces('ab\u{1F600}', 4)).toEqual(['ab\u{1F600}']);
    expect(pieces('a\u{1F600}b', 2)).toEqual(['a', '\u{1F600}', 'b']);
    expect(takeChunk('')).toBe('');
  });

  it('never leaves half a pair in any piece, whatever the limit', () => {
    const text = 'x\u{1F600}\u{20BB7}yé\u{1F680}'.repeat(50);
    for (const max of [1, 2, 3, 4, 5, 7, 64]) {
      const cut = pieces(text, max);
      expect(cut.join('')).toBe(text);
      for (const piece of cut) expect(isWellFormed(piece), `max ${max}: ${JSON.stringify(piece)}`).toBe(true);
    }
  });
});
