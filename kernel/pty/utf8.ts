/**
 * Cutting UTF-8 bytes without splitting a character. Terminal output stays bytes from the pty to the WebSocket
 * frame: decoding it into strings would make a copy the garbage collector has to carry (a flood's strings live long
 * enough to be promoted), and the frame would encode it again. Whoever wants text decodes a piece on its own, which
 * is exact only if no character straddles two pieces.
 */

const isContinuation = (byte: number): boolean => (byte & 0xc0) === 0x80;

/** How many bytes the character that starts with `lead` takes; 1 for a byte that cannot start one. */
function sequenceLength(lead: number): number {
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  return 1;
}

/**
 * Where to cut `bytes` at or before `end` so that no character is split: `end` moved back over at most three
 * continuation bytes. The cut is always after `start`: where moving back would reach it (the character at `start` is
 * longer than end - start), the cut is after that character instead.
 */
export function utf8CutIndex(bytes: Uint8Array, end: number, start = 0): number {
  if (end >= bytes.length) return bytes.length;
  if (end <= start) end = start + 1;
  let cut = end;
  while (cut > end - 3 && cut > start && isContinuation(bytes[cut]!)) cut--;
  if (cut > start) return cut;
  let after = start + 1;
  while (after < bytes.length && after < start + 4 && isContinuation(bytes[after]!)) after++;
  return after;
}

/**
 * How many leading bytes hold only whole characters: all of them unless the last character is still incomplete
 * (its lead byte promises more bytes than came), which then waits for the rest. Malformed bytes count as whole: a
 * decoder replaces them, as it would anyway.
 */
export function completeUtf8Length(bytes: Uint8Array): number {
  const length = bytes.length;
  for (let back = 1; back <= 4 && back <= length; back++) {
    const byte = bytes[length - back]!;
    if (isContinuation(byte)) continue;
    return sequenceLength(byte) > back ? length - back : length;
  }
  return length;
}

/** Bytes as text. Only call it on pieces cut with the functions above (a split character would come out as U+FFFD). */
export function decodeUtf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

/** One piece of memory holding `pieces` in order; the piece itself when there is only one. */
export function concatBytes(pieces: readonly Uint8Array[], length?: number): Uint8Array {
  if (pieces.length === 1) return pieces[0]!;
  let total = length ?? 0;
  if (length === undefined) for (const piece of pieces) total += piece.length;
  // allocUnsafe: every byte is written below; a piece of 4 KiB or more gets memory of its own, never the shared pool
  const joined = Buffer.allocUnsafe(total);
  let at = 0;
  for (const piece of pieces) {
    joined.set(piece, at);
    at += piece.length;
  }
  return joined;
}
