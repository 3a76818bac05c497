/**
 * Where to cut `text` at or before `end` so that no UTF-16 surrogate pair is split: a lone half would be encoded
 * as U+FFFD on its way to the pty or over the wire.
 */
export function safeCutIndex(text: string, end: number): number {
  if (end <= 0 || end >= text.length) return Math.max(0, Math.min(end, text.length));
  const before = text.charCodeAt(end - 1);
  const isHighSurrogate = before >= 0xd800 && before <= 0xdbff;
  return isHighSurrogate && end > 1 ? end - 1 : end;
}

/** Splits text into pieces of at most `size` UTF-16 code units (size >= 2), never inside a surrogate pair. */
export function* chunkText(text: string, size: number): Generator<string> {
  let start = 0;
  while (start < text.length) {
    const end = safeCutIndex(text, start + size);
    yield text.slice(start, end);
    start = end;
  }
}

/** Lets timers and I/O run: between chunks of a large write, so a paste never blocks the event loop. */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
