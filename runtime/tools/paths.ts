import type { AgentHost } from './types.js';

/**
 * The home-relative path the kernel's AgentFs expects, from what a model writes: 'notes/a.md', '~/notes/a.md' and
 * '/home/agent/notes/a.md' all name the same file. Anything else absolute is passed on, for AgentFs to refuse.
 */
export function homeRelative(path: string, host: AgentHost): string {
  const trimmed = path.trim();
  for (const alias of host.homeAliases) {
    const home = alias.replace(/\/+$/, '');
    if (trimmed === home) return '.';
    if (trimmed.startsWith(`${home}/`)) return trimmed.slice(home.length + 1) || '.';
  }
  return trimmed === '' ? '.' : trimmed;
}

/** Shell-quotes one word for a generated command line. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Keeps text for the model within a budget: the head and the tail, with a note of what was cut. */
export function clip(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const head = Math.floor(maxChars * 0.7);
  const tail = maxChars - head;
  return `${text.slice(0, head)}\n[… ${text.length - maxChars} characters cut …]\n${text.slice(-tail)}`;
}
