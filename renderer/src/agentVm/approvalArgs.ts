// What an approval request asks for, argument by argument, in a form a person can check: pure and tested.

/** One argument as the prompt shows it. */
export interface ShownArg {
  /** The argument's name; '' when the arguments are not an object (shown whole). */
  name: string;
  /** Its value: strings as they are, anything else as JSON; invisible characters made visible. */
  text: string;
  /** Shown in a scrollable monospace block rather than inline: long, multi-line, or a body of text. */
  block: boolean;
  /** For a block: how much there is ("38 bytes, 1 line"), so its size is clear before scrolling. */
  size?: string;
}

/** Arguments that carry a body of text (a script on standard input, a file's content): always a block. */
const BODY_ARGS = new Set(['input', 'content', 'text', 'script', 'patch', 'code', 'data', 'body']);

/** Above this many characters an argument gets a block even if it is on one line. */
const INLINE_MAX = 80;

/**
 * Characters that render as nothing or reorder what is around them: C0/C1 controls (but tab and newline), zero-width
 * characters and the bidirectional overrides ("Trojan Source"). A person must see that they are there.
 */
const INVISIBLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** The text with each invisible character replaced by a visible marker such as ⟨U+202E⟩. */
export function visible(text: string): string {
  return text.replace(INVISIBLE, (c) => `⟨U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`);
}

function asText(value: unknown): string {
  if (typeof value === 'string') return value;
  // undefined, functions and symbols have no JSON: say what they are rather than show nothing
  return JSON.stringify(value, null, 2) ?? String(value);
}

function sizeOf(text: string): string {
  const bytes = new TextEncoder().encode(text).length;
  const lines = text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}, ${lines} ${lines === 1 ? 'line' : 'lines'}`;
}

function shown(name: string, value: unknown): ShownArg {
  const raw = asText(value);
  const block = BODY_ARGS.has(name) || raw.includes('\n') || raw.length > INLINE_MAX;
  return { name: visible(name), text: visible(raw), block, ...(block ? { size: sizeOf(raw) } : {}) };
}

/**
 * Every argument of a request, in the order the agent gave them: nothing the prompt does not know about is left out,
 * because an approval given without seeing an argument is an approval given blind.
 */
export function approvalArgs(args: unknown): ShownArg[] {
  if (args === undefined) return [];
  if (args === null || typeof args !== 'object' || Array.isArray(args)) return [shown('', args)];
  return Object.entries(args as Record<string, unknown>).map(([name, value]) => shown(name, value));
}
