import { HabitatError } from '../../shared/protocol/index.js';
import type { WebPage } from '../tools/types.js';
import { checkAddress, type AddressPolicy } from './address.js';
import { extractHtml, tidyText } from './extract.js';

export interface FetchOptions {
  timeoutMs: number;
  maxChars: number;
  /** Bytes of a body read at most; the rest is not downloaded. */
  maxBytes: number;
  allowed: AddressPolicy;
  signal?: AbortSignal;
  userAgent: string;
}

const MAX_REDIRECTS = 5;
const TEXTUAL = /^(text\/|application\/(json|xml|xhtml\+xml|javascript|ld\+json|rss\+xml|atom\+xml))/i;

/**
 * A page by plain HTTP: redirects followed by hand (every hop's address checked), the body read up to maxBytes,
 * HTML turned into text and links (extract.ts), other text as it is. What the Chromium engine does where no
 * Chromium is installed.
 */
export async function fetchPage(url: URL, options: FetchOptions): Promise<WebPage> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    let current = url;
    for (let hop = 0; ; hop++) {
      await checkAddress(current, options.allowed);
      const response = await fetch(current, {
        redirect: 'manual',
        signal,
        headers: {
          'user-agent': options.userAgent,
          accept: 'text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5',
        },
      });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel().catch(() => undefined);
        if (hop >= MAX_REDIRECTS) throw new HabitatError('E_LIMIT', `more than ${MAX_REDIRECTS} redirects`);
        current = new URL(location, current);
        if (current.protocol !== 'http:' && current.protocol !== 'https:') {
          throw new HabitatError('E_INVALID', `the page redirects to a ${current.protocol} URL`);
        }
        continue;
      }
      const contentType = response.headers.get('content-type') ?? '';
      if (contentType && !TEXTUAL.test(contentType)) {
        await response.body?.cancel().catch(() => undefined);
        throw new HabitatError(
          'E_INVALID',
          `${current.href} is ${contentType.split(';')[0]}, not a page of text`,
        );
      }
      const { body, cut } = await readCapped(response, options.maxBytes);
      const page =
        /html/i.test(contentType) || (!contentType && /<html|<body|<p\b/i.test(body))
          ? extractHtml(body, response.url || current.href)
          : { title: '', text: tidyText(body), links: [] };
      const text = cut ? `${page.text}\n[the page was cut at ${options.maxBytes} bytes]` : page.text;
      return {
        url: url.href,
        finalUrl: current.href,
        status: response.status,
        contentType,
        title: page.title,
        text: text.slice(0, options.maxChars),
        links: page.links,
        truncated: text.length > options.maxChars,
        engine: 'fetch',
      };
    }
  } catch (error) {
    if (error instanceof HabitatError) throw error;
    if (options.signal?.aborted)
      throw new HabitatError('E_CONFLICT', 'browsing was abandoned: the agent stopped');
    if (timeout.aborted)
      throw new HabitatError(
        'E_TIMEOUT',
        `${url.href} did not load within ${Math.round(options.timeoutMs / 1000)} s`,
      );
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new HabitatError(
      'E_UNAVAILABLE',
      `could not fetch ${url.href}: ${cause?.code ?? cause?.message ?? String(error)}`,
    );
  }
}

/** The body as text, reading no more than maxBytes of it. */
async function readCapped(response: Response, maxBytes: number): Promise<{ body: string; cut: boolean }> {
  if (!response.body) return { body: '', cut: false };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let cut = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = maxBytes - size;
    chunks.push(value.length > room ? value.subarray(0, room) : value);
    size += Math.min(room, value.length);
    if (value.length >= room) {
      cut = value.length > room || !(await reader.read().then((next) => next.done));
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return { body: new TextDecoder().decode(Buffer.concat(chunks)), cut };
}
