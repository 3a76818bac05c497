import { chromium, type Browser } from 'playwright-core';

/** Chromium for the benchmarks that measure the UI: the system's (or HABITAT_CHROMIUM), without extra work. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.HABITAT_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
}

/** Closes it, waiting at most 10 s: a page still streaming can keep Chromium's close waiting for good. */
export async function closeBrowser(browser: Browser): Promise<void> {
  const closing = browser.close().catch(() => undefined);
  await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
}
