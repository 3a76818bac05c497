import { z } from 'zod';
import { HabitatError } from '../../shared/protocol/index.js';
import { defineTool, type WebPage } from './types.js';

export const WEB_DEFAULT_MAX_CHARS = 20_000;
const WEB_DEFAULT_TIMEOUT_S = 30;
/** Links listed for the model; data carries them all. */
const LINKS_SHOWN = 40;

export const browseWeb = defineTool({
  name: 'browse_web',
  description:
    'Open a web page (an http or https URL) and read it as a browser shows it: its title, text and links. ' +
    'Only for agents with network access. Follow a link by browsing its URL.',
  parameters: z.object({
    url: z.string().min(1).max(4096).describe('The page, e.g. https://example.org/docs'),
    max_chars: z
      .number()
      .int()
      .min(500)
      .max(100_000)
      .optional()
      .describe(`Characters of text to read at most (default ${WEB_DEFAULT_MAX_CHARS})`),
    timeout_seconds: z
      .number()
      .int()
      .min(1)
      .max(60)
      .optional()
      .describe('Give up after this long (default 30)'),
  }),
  async handler(args, ctx) {
    // the network policy is the agent's, from its spawn: the kernel fetches nothing for an agent without network
    if (!ctx.host.network) {
      throw new HabitatError(
        'E_DENIED',
        'this agent has no network access (it was spawned without it), so browse_web fetches nothing for it',
      );
    }
    if (!ctx.host.web) throw new HabitatError('E_UNAVAILABLE', 'no web browser is available here');
    const page = await ctx.host.web.browse(args.url, {
      timeoutMs: (args.timeout_seconds ?? WEB_DEFAULT_TIMEOUT_S) * 1000,
      maxChars: args.max_chars ?? WEB_DEFAULT_MAX_CHARS,
      signal: ctx.signal,
    });
    const { text, ...facts } = page; // the text is in the content: the event keeps the rest
    return {
      content: describePage(page),
      data: { ...facts, chars: text.length },
      isError: page.status >= 400,
    };
  },
});

/** The page as the model reads it: where it is, its text, and a numbered list of links. */
export function describePage(page: WebPage): string {
  const parts = [
    page.title ? `# ${page.title}` : '(no title)',
    `${page.finalUrl} (HTTP ${page.status}${page.finalUrl !== page.url ? `, from ${page.url}` : ''})`,
    '',
    page.text || '(no text)',
  ];
  if (page.truncated) parts.push(`[text cut at ${page.text.length} characters: ask for more with max_chars]`);
  if (page.links.length > 0) {
    parts.push('', 'Links:');
    for (const link of page.links.slice(0, LINKS_SHOWN))
      parts.push(`- ${link.text || '(no text)'}: ${link.url}`);
    if (page.links.length > LINKS_SHOWN) parts.push(`[${page.links.length - LINKS_SHOWN} more links]`);
  }
  return parts.join('\n');
}
