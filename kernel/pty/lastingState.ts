/** SGR (the pen), and ANSI and DEC private modes set or reset: CSI [?] params m|h|l. */
// eslint-disable-next-line no-control-regex -- ESC is what the sequences begin with
const STATEFUL = /\x1b\[(\?)?([0-9;:]*)([mhl])/g;
/** SGRs kept after the last reset: they add up, so a long run of them is cut to its end. */
const MAX_SGR = 32;
/** Longer sequences than this are not looked for across two pieces of output. */
const MAX_SEQUENCE = 64;
const ESC = 0x1b;

/**
 * Where a piece of output has its first and last ESC, and its text from `from` on. Bytes are read as latin1, one
 * character a byte: the sequences looked for are ASCII, so they read the same, and nothing is decoded before an ESC.
 */
interface Piece {
  first: number;
  last: number;
  length: number;
  text(from: number, to?: number): string;
}

function pieceOf(output: string | Uint8Array): Piece {
  if (typeof output === 'string') {
    return {
      first: output.indexOf('\x1b'),
      last: output.lastIndexOf('\x1b'),
      length: output.length,
      text: (from, to) => output.slice(from, to),
    };
  }
  const bytes = Buffer.from(output.buffer, output.byteOffset, output.byteLength);
  return {
    first: bytes.indexOf(ESC),
    last: bytes.lastIndexOf(ESC),
    length: bytes.length,
    text: (from, to) => bytes.toString('latin1', from, to),
  };
}

/**
 * What output that is dropped unparsed would have left behind for what follows: the pen (its last reset and the SGR
 * sequences since) and the modes it set or reset (alternate screen, cursor visibility, mouse, bracketed paste...),
 * each mode's last setting, in the order they came. Parsed in place of the dropped output, they put the terminal in
 * about the state the dropped output would have; what else it did (drawing, cursor moves, scroll regions) is lost
 * with it. `dropped` comes in pieces as it was written (a sequence may straddle two), as text or UTF-8 bytes;
 * `earlier` is what this returned for output dropped before and not yet replaced, if any.
 */
export function lastingSequences(dropped: readonly (string | Uint8Array)[], earlier = ''): string {
  let pen: string[] = [];
  let reset = false;
  const modes = new Map<string, string>();
  const take = (text: string): void => {
    for (const [sequence, isPrivate, params, final] of text.matchAll(STATEFUL)) {
      if (final === 'm') {
        if (isPrivate) continue;
        // a reset (no parameter, or 0 first) clears what came before; what follows it in the same sequence counts
        if (/^0*(?:[;:]|$)/.test(params!)) {
          pen = [];
          reset = true;
        }
        if (!/^[0;:]*$/.test(params!)) pen.push(sequence);
        if (pen.length > MAX_SGR) pen = pen.slice(-MAX_SGR);
        continue;
      }
      const key = `${isPrivate ?? ''}${params}`;
      modes.delete(key); // re-inserted last: modes are applied in the order of their last setting
      modes.set(key, sequence);
    }
  };
  take(earlier);
  // most of a flood is plain text: a piece without ESC is skipped at memchr speed, and only the end of one (from its
  // last ESC) is joined to the next, for a sequence cut in two (one that was whole there counts twice, harmlessly)
  let tail = '';
  for (const output of dropped) {
    const piece = pieceOf(output);
    if (piece.first === -1) {
      if (tail) take(tail + piece.text(0, MAX_SEQUENCE));
      tail = '';
      continue;
    }
    // what comes before the first ESC starts no sequence: only the tail may end one there
    take(tail + (tail ? piece.text(0) : piece.text(piece.first)));
    tail = piece.last >= piece.length - MAX_SEQUENCE ? piece.text(piece.last) : '';
  }
  return [...modes.values()].join('') + (reset ? '\x1b[0m' : '') + pen.join('');
}
