/** Elements whose content is never text a reader sees. */
const HIDDEN = /<(script|style|noscript|template|svg|head|iframe|object|canvas)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
/** Elements that stand apart as paragraphs: a blank line before and after. */
const PARAGRAPH =
  /<\/?(p|section|article|main|header|footer|nav|aside|h[1-6]|ul|ol|dl|table|pre|blockquote|figure|form|fieldset|hr|address|details)\b[^>]*>/gi;
/** Elements that start a line of their own (a list item, a row, a line break). */
const LINE = /<(li|dt|dd|tr|br|div|summary|figcaption|option)\b[^>]*>|<\/(div)\s*>/gi;
const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  copy: '©',
  reg: '®',
  laquo: '«',
  raquo: '»',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  middot: '·',
  bull: '•',
  euro: '€',
};

export interface ExtractedPage {
  title: string;
  text: string;
  links: { text: string; url: string }[];
}

/** Decodes character references: named (the common ones), decimal and hexadecimal. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code =
        ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

function plain(html: string): string {
  return decodeEntities(html.replace(/<[^>]*>/g, ''));
}

/** Blank runs folded: spaces within lines, at most one empty line between paragraphs. */
export function tidyText(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/[ \t\f\v\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * What a reader takes from an HTML page without a browser: its title, its visible text with blocks on their own
 * lines, and its links made absolute (http and https only, each once). Scripts do not run: a page that builds
 * itself with JavaScript shows little (the Chromium engine runs them).
 */
export function extractHtml(html: string, base: string, maxLinks = 100): ExtractedPage {
  const title = tidyText(plain(/<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(html)?.[1] ?? ''));
  const visible = html.replace(/<!--[\s\S]*?-->/g, '').replace(HIDDEN, ' ');
  const links: ExtractedPage['links'] = [];
  const seen = new Set<string>();
  for (const match of visible.matchAll(/<a\b([^>]*)>([\s\S]*?)<\/a\s*>/gi)) {
    if (links.length >= maxLinks) break;
    const href = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(match[1] ?? '');
    const raw = href?.[1] ?? href?.[2] ?? href?.[3];
    if (!raw) continue;
    let url: URL;
    try {
      url = new URL(decodeEntities(raw), base);
    } catch {
      continue;
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || seen.has(url.href)) continue;
    seen.add(url.href);
    links.push({
      text: tidyText(plain(match[2] ?? ''))
        .replace(/\n/g, ' ')
        .slice(0, 200),
      url: url.href,
    });
  }
  const source = /<body\b[^>]*>([\s\S]*)$/i.exec(visible)?.[1] ?? visible;
  // line breaks in the source are spaces, except in <pre>: lines come from the elements
  const body = source
    .split(/(<pre\b[\s\S]*?<\/pre\s*>)/i)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/\s+/g, ' ')))
    .join('');
  const text = tidyText(
    plain(
      body
        .replace(PARAGRAPH, '\n\n')
        .replace(LINE, '\n')
        .replace(/<\/?(td|th)\b[^>]*>/gi, ' '),
    ),
  );
  return { title, text, links };
}
