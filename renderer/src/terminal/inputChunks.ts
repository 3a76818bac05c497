// How typed and pasted text is cut into pty.input calls: pure and tested.

/** The most UTF-16 units one pty.input carries: a large paste goes in several, in order. */
export const INPUT_CHUNK = 64 * 1024;

/**
 * The first piece of `text` of at most `max` UTF-16 units, never ending between the two halves of a surrogate pair
 * (an emoji, a rare CJK character): each half alone is not UTF-16, and would reach the program as U+FFFD. A pair
 * that straddles the limit goes whole into the next piece. With max below 2 a pair is still kept whole.
 */
export function takeChunk(text: string, max: number = INPUT_CHUNK): string {
  if (text.length <= max) return text;
  let end = Math.max(1, max);
  const last = text.charCodeAt(end - 1);
  // a high surrogate as the last unit: its low half is the next one
  if (last >= 0xd800 && last <= 0xdbff) end = end > 1 ? end - 1 : end + 1;
  return text.slice(0, end);
}
