import { HabitatError } from '../../shared/protocol/index.js';
import type { WebAccess, WebPage } from '../tools/types.js';
import { isPublicAddress, parseWebUrl, checkAddress, type AddressPolicy } from './address.js';
import { ChromiumPages, findChromium } from './chromium.js';
import { fetchPage } from './fetchPage.js';

export interface WebBrowserOptions {
  /** auto (default): Chromium where one is installed, else plain fetch; or either one on purpose. */
  engine?: 'auto' | 'chromium' | 'fetch';
  /** The Chromium to run; default findChromium(). */
  chromiumPath?: string;
  /** Which addresses may be fetched from; default the public internet only (isPublicAddress). */
  allowed?: AddressPolicy;
  /** Bytes of a page read at most by the fetch engine. Default 2 MiB. */
  maxBytes?: number;
  userAgent?: string;
}

const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) HabitatAgent/1.0 (+browse_web)';

/**
 * browse_web's engine, shared by every agent of a kernel: a real Chromium through playwright-core where one is
 * installed (pages run their scripts), else a plain HTTP fetch with text extraction. Both check every address
 * against the policy. It fetches from the kernel's host, not from inside the agent's sandbox: the tool refuses
 * agents spawned without network before anything reaches here.
 */
export class WebBrowser implements WebAccess {
  /** Found on first use (see pages()). */
  private chromium: Promise<ChromiumPages | undefined> | undefined;
  private readonly allowed: AddressPolicy;
  /** Set once Chromium failed to start (auto only): pages are fetched from then on. */
  private chromiumFailed: string | undefined;

  constructor(private readonly options: WebBrowserOptions = {}) {
    this.allowed = options.allowed ?? isPublicAddress;
  }

  /** The engine that reads pages: Chromium where one is installed (unless fetch was asked for), else fetch. */
  async engine(): Promise<'chromium' | 'fetch'> {
    return (await this.pages()) ? 'chromium' : 'fetch';
  }

  /**
   * Chromium's pages, looked for on first use rather than at construction: finding Playwright's own Chromium loads
   * playwright-core, which a kernel whose agents never browse should not pay for when it starts.
   */
  private pages(): Promise<ChromiumPages | undefined> {
    this.chromium ??= (async () => {
      const wanted = this.options.engine ?? 'auto';
      if (wanted === 'fetch') return undefined;
      const path = this.options.chromiumPath ?? (await findChromium());
      if (!path) {
        if (wanted === 'chromium')
          throw new HabitatError('E_UNAVAILABLE', 'no Chromium is installed (set HABITAT_CHROMIUM)');
        return undefined;
      }
      return new ChromiumPages({
        executablePath: path,
        allowed: this.allowed,
        userAgent: this.options.userAgent,
      });
    })();
    return this.chromium;
  }

  async browse(
    text: string,
    options: { timeoutMs: number; maxChars: number; signal?: AbortSignal },
  ): Promise<WebPage> {
    const url = parseWebUrl(text);
    await checkAddress(url, this.allowed);
    const chromium = this.chromiumFailed ? undefined : await this.pages();
    if (chromium) {
      const launched = await chromium.launch().then(
        () => true,
        (error: unknown) => {
          if (this.options.engine === 'chromium') throw error;
          this.chromiumFailed = error instanceof Error ? error.message : String(error);
          console.warn(`[web] Chromium did not start, pages are fetched instead: ${this.chromiumFailed}`);
          return false;
        },
      );
      if (launched) return chromium.read(url, options);
    }
    return fetchPage(url, {
      ...options,
      maxBytes: this.options.maxBytes ?? 2 * 1024 * 1024,
      allowed: this.allowed,
      userAgent: this.options.userAgent ?? USER_AGENT,
    });
  }

  async close(): Promise<void> {
    const chromium = await this.chromium?.catch(() => undefined);
    await chromium?.close();
  }
}
