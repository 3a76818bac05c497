import { existsSync } from 'node:fs';
import type * as Playwright from 'playwright-core';
import type { Browser, Route } from 'playwright-core';
import { HabitatError } from '../../shared/protocol/index.js';
import type { WebPage } from '../tools/types.js';
import type { AddressPolicy } from './address.js';
import { tidyText } from './extract.js';
import { BLOCKED_HEADER, GuardProxy } from './guardProxy.js';

/**
 * playwright-core, loaded on first use: loading it takes about a third of a second, which the kernel's start (and so
 * the app's window and `habitat serve`) should not wait for when no agent browses.
 */
const playwright = (): Promise<typeof Playwright> => import('playwright-core');

/** Where a Chromium may be: $HABITAT_CHROMIUM, Playwright's own download, then the system's packages. */
export async function findChromium(
  env: Record<string, string | undefined> = process.env,
): Promise<string | undefined> {
  const candidates = [env.HABITAT_CHROMIUM];
  try {
    candidates.push((await playwright()).chromium.executablePath());
  } catch {
    // Playwright knows no browser of its own for this platform
  }
  candidates.push(
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
  );
  return candidates.find((path): path is string => Boolean(path) && existsSync(path!));
}

/** The switches the project's browser tests use; --no-sandbox only where Chromium's own sandbox cannot start (root). */
function launchArgs(): string[] {
  return [
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
  ];
}

/** Resources a text reader does without: never downloaded. */
const SKIPPED = new Set(['image', 'media', 'font']);

export interface ChromiumOptions {
  executablePath: string;
  allowed: AddressPolicy;
  userAgent?: string;
}

/**
 * What the page shows, read in the page itself after its scripts ran (source text: this module is compiled without
 * the DOM's types): its title, its rendered text (innerText), and its links, absolute, http and https, each once.
 */
const READ_PAGE = `(() => {
  const links = [];
  const seen = new Set();
  for (const a of document.querySelectorAll('a[href]')) {
    const url = a.href;
    if (!/^https?:/i.test(url) || seen.has(url)) continue;
    seen.add(url);
    const text = (a.innerText || a.getAttribute('aria-label') || '').replace(/\\s+/g, ' ').trim();
    links.push({ text: text.slice(0, 200), url });
    if (links.length >= 100) break;
  }
  const root = document.body || document.documentElement;
  return { title: document.title || '', text: root ? root.innerText : '', links };
})()`;

interface ShownPage {
  title: string;
  text: string;
  links: { text: string; url: string }[];
}

/**
 * Pages read by a real Chromium (playwright-core), launched on first use and shared: each page gets a fresh
 * context (no cookies or storage kept between calls), runs its scripts, and loads no images, media or fonts. All
 * its traffic goes through a GuardProxy that enforces the address policy. It runs on the kernel's host, as the
 * kernel's user: see runtime/README.md (browse_web) for what that means.
 */
export class ChromiumPages {
  private browser: Promise<Browser> | undefined;
  private proxy: Promise<GuardProxy> | undefined;
  private closed = false;

  constructor(private readonly options: ChromiumOptions) {}

  /** Starts Chromium if it is not running; rejects when it cannot start. */
  launch(): Promise<Browser> {
    if (this.closed) return Promise.reject(new HabitatError('E_UNAVAILABLE', 'the browser was closed'));
    this.proxy ??= GuardProxy.start(this.options.allowed);
    this.browser ??= Promise.all([this.proxy, playwright()])
      .then(([proxy, { chromium }]) =>
        chromium.launch({
          executablePath: this.options.executablePath,
          headless: true,
          args: launchArgs(),
          timeout: 30_000,
          // loopback too: Playwright sends it through the proxy unless told otherwise
          proxy: { server: proxy.url },
        }),
      )
      .then((browser) => {
        browser.on('disconnected', () => (this.browser = undefined));
        return browser;
      });
    const launching = this.browser;
    launching.catch(() => {
      if (this.browser === launching) this.browser = undefined;
    });
    return launching;
  }

  async read(
    url: URL,
    options: { timeoutMs: number; maxChars: number; signal?: AbortSignal },
  ): Promise<WebPage> {
    const started = Date.now();
    const browser = await this.launch();
    const proxy = await this.proxy!;
    const context = await browser.newContext({
      acceptDownloads: false,
      serviceWorkers: 'block',
      ...(this.options.userAgent ? { userAgent: this.options.userAgent } : {}),
    });
    const refusedBefore = proxy.refused.length;
    const abort = () => void context.close().catch(() => undefined);
    options.signal?.addEventListener('abort', abort, { once: true });
    try {
      await context.route('**/*', (route) => skipHeavy(route));
      const page = await context.newPage();
      page.setDefaultTimeout(options.timeoutMs);
      let response;
      try {
        response = await page.goto(url.href, { waitUntil: 'domcontentloaded', timeout: options.timeoutMs });
      } catch (error) {
        throw this.failure(error, url, proxy.refused.slice(refusedBefore), options);
      }
      const refused = await response?.headerValue(BLOCKED_HEADER).catch(() => null);
      if (refused) throw refusal(refused);
      const left = options.timeoutMs - (Date.now() - started);
      // scripts that fetch the content after the document loaded: give them a moment
      await page
        .waitForLoadState('networkidle', { timeout: Math.max(0, Math.min(2000, left)) })
        .catch(() => {});
      const shown = (await page.evaluate(READ_PAGE)) as ShownPage;
      const text = tidyText(shown.text);
      return {
        url: url.href,
        finalUrl: page.url(),
        status: response?.status() ?? 0,
        contentType: (await response?.headerValue('content-type').catch(() => null)) ?? '',
        title: shown.title.trim(),
        text: text.slice(0, options.maxChars),
        links: shown.links,
        truncated: text.length > options.maxChars,
        engine: 'chromium',
      };
    } catch (error) {
      if (error instanceof HabitatError) throw error;
      throw this.failure(error, url, proxy.refused.slice(refusedBefore), options);
    } finally {
      options.signal?.removeEventListener('abort', abort);
      await context.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const browser = await this.browser?.catch(() => undefined);
    const proxy = await this.proxy?.catch(() => undefined);
    this.browser = undefined;
    this.proxy = undefined;
    await browser?.close().catch(() => undefined);
    await proxy?.close();
  }

  /** What went wrong, as an error value the model can act on. */
  private failure(
    error: unknown,
    url: URL,
    refused: string[],
    options: { timeoutMs: number; signal?: AbortSignal },
  ): HabitatError {
    const message = error instanceof Error ? error.message : String(error);
    if (options.signal?.aborted)
      return new HabitatError('E_CONFLICT', 'browsing was abandoned: the agent stopped');
    if (refused.length > 0 && /ERR_TUNNEL_CONNECTION_FAILED|ERR_BLOCKED/.test(message))
      return refusal(refused[0]!);
    if (/Timeout/i.test(message) && /exceeded/i.test(message)) {
      return new HabitatError(
        'E_TIMEOUT',
        `${url.href} did not load within ${Math.round(options.timeoutMs / 1000)} s`,
      );
    }
    if (/Download is starting/i.test(message)) {
      return new HabitatError('E_INVALID', `${url.href} is a file to download, not a page of text`);
    }
    return new HabitatError('E_UNAVAILABLE', `could not open ${url.href}: ${message.split('\n')[0]}`);
  }
}

/** Images, media and fonts are not fetched: a text reader does without, and pages load faster. */
function skipHeavy(route: Route): Promise<void> {
  return SKIPPED.has(route.request().resourceType()) ? route.abort('blockedbyclient') : route.continue();
}

function refusal(host: string): HabitatError {
  return new HabitatError(
    'E_DENIED',
    `${host} is a local or private address: browse_web reaches the public web only`,
    { host },
  );
}
