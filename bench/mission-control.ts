import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { closeBrowser, launchBrowser } from './lib/browser.js';
import { startServedHost } from './lib/servedHost.js';
import type { BenchResult } from './lib/types.js';

export const name = 'Mission Control with 200 agents streaming: first paint and frames per second';

const AGENTS = Number(process.env.HABITAT_BENCH_MC_AGENTS ?? 200);
const MEASURE_MS = 5_000;
/** A cold load varies by a third from one to the next on a busy machine: the median of a few says more than one. */
const LOADS = 3;
/** Every agent's shell prints a line twice a second, for as long as the bench runs: terminal output and previews. */
const TICKER = 'while :; do echo "tick $SECONDS $RANDOM"; sleep 0.5; done\n';

/**
 * Runs in the page (a string: the bench's own transpiler must not touch it): counts animation frames over `ms`, and
 * the longest gap between two of them. With `scroll`, the grid scrolls a little every frame meanwhile.
 */
const FRAMES = `async ({ ms, scroll }) => {
  const grid = document.querySelector('[data-testid="mc-scroll"]') ?? document.scrollingElement;
  let frames = 0;
  let worst = 0;
  let last = performance.now();
  const end = last + ms;
  let direction = 1;
  await new Promise((resolve) => {
    const frame = (t) => {
      frames++;
      worst = Math.max(worst, t - last);
      last = t;
      if (scroll && grid) {
        if (grid.scrollTop + grid.clientHeight >= grid.scrollHeight - 2) direction = -1;
        else if (grid.scrollTop <= 0) direction = 1;
        grid.scrollTop += 40 * direction;
      }
      if (t < end) requestAnimationFrame(frame);
      else resolve();
    };
    requestAnimationFrame(frame);
  });
  return { fps: frames / (ms / 1000), worstGapMs: worst };
}`;

async function frames(page: Page, scroll: boolean): Promise<{ fps: number; worstGapMs: number }> {
  return (await page.evaluate(`(${FRAMES})(${JSON.stringify({ ms: MEASURE_MS, scroll })})`)) as {
    fps: number;
    worstGapMs: number;
  };
}

/**
 * Runs in the page, like FRAMES: waits, checking every frame, until Mission Control lists every agent and shows a
 * card, then until that frame has been drawn. (page.evaluate of an expression goes through the debugger;
 * waitForFunction would eval, which the page's CSP forbids.)
 */
const GRID_READY = `new Promise((resolve, reject) => {
  const give = setTimeout(() => reject(new Error('Mission Control did not list ${AGENTS} agents in 60 s')), 60000);
  // a task queued from a frame's animation callback runs once that frame has been drawn
  const drawn = () => setTimeout(() => resolve(performance.now()), 0);
  const check = (inFrame) => {
    const total = document.querySelector('[data-testid="metric-total"]')?.textContent ?? '';
    if (total.includes('${AGENTS}') && document.querySelector('[data-testid="agent-card"]') !== null) {
      clearTimeout(give);
      if (inFrame) drawn();
      else requestAnimationFrame(drawn);
    } else requestAnimationFrame(() => check(true));
  };
  check(false);
})`;

/** Milliseconds from navigation start until a frame that lists every agent and shows cards is drawn; and the FCP. */
async function firstPaint(page: Page, url: string): Promise<{ fcpMs: number; gridMs: number }> {
  await page.goto(url, { waitUntil: 'commit' });
  const gridMs = (await page.evaluate(GRID_READY)) as number;
  // the paint entry is recorded after the frame that painted: wait for it rather than read it too early
  const fcpMs = (await page.evaluate(`new Promise((resolve) => {
    new PerformanceObserver((list, observer) => {
      const fcp = list.getEntriesByName('first-contentful-paint')[0];
      if (!fcp) return;
      observer.disconnect();
      resolve(fcp.startTime);
    }).observe({ type: 'paint', buffered: true });
  })`)) as number;
  return { fcpMs, gridMs };
}

export async function run(): Promise<BenchResult> {
  const host = await startServedHost();
  const { client } = host;
  const browser = await launchBrowser();
  try {
    const start = Date.now();
    for (let i = 0; i < AGENTS; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, AGENTS - i) }, (_, j) =>
          client.call('process.spawn', { name: `streamer-${i + j}`, role: 'prints a tick twice a second' }),
        ),
      );
      for (const agent of batch) {
        const { terminals } = await client.call('pty.list', { pid: agent.pid });
        await client.call('pty.input', { terminal: terminals[0]!.terminal, data: TICKER });
      }
    }
    const spawnMs = Date.now() - start;
    process.stderr.write(`  ${AGENTS} agents streaming after ${(spawnMs / 1000).toFixed(1)} s\n`);

    // each load in a context of its own: no cache, no storage and a new renderer, as a first visit has
    const loads: { fcpMs: number; gridMs: number }[] = [];
    let page!: Page;
    for (let i = 0; i < LOADS; i++) {
      if (page) await page.context().close();
      const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
      page = await context.newPage();
      loads.push(await firstPaint(page, host.url));
    }
    const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const paint = { gridMs: median(loads.map((l) => l.gridMs)), fcpMs: median(loads.map((l) => l.fcpMs)) };
    await page.waitForTimeout(1_000);
    const watching = await frames(page, false);
    const scrolling = await frames(page, true);
    await page
      .screenshot({ path: join('test-results', 'screens', 'bench-mission-control.png') })
      .catch(() => undefined);
    return {
      metrics: [
        {
          name: `first paint of Mission Control, 200 agents listed (median of ${LOADS} loads)`,
          value: paint.gridMs,
          unit: 'ms',
          aimAtMost: 1000,
        },
        { name: `first contentful paint (median of ${LOADS})`, value: paint.fcpMs, unit: 'ms' },
        { name: 'frames per second, watching', value: watching.fps, unit: 'fps', aimAtLeast: 50 },
        { name: 'longest frame gap, watching', value: watching.worstGapMs, unit: 'ms' },
        { name: 'frames per second, scrolling the grid', value: scrolling.fps, unit: 'fps', aimAtLeast: 50 },
        { name: 'longest frame gap, scrolling', value: scrolling.worstGapMs, unit: 'ms' },
      ],
      notes: [
        `${AGENTS} host-sandbox agents, each shell printing a line every 0.5 s; spawned in ` +
          `${(spawnMs / 1000).toFixed(1)} s; the cards on screen read their terminals' screens (pty.screen)`,
        'first paint: from navigation until a frame that lists every agent and shows a card has been drawn; ' +
          `each load: ${loads.map((l) => `${Math.round(l.gridMs)} ms`).join(', ')}`,
        `one Chromium page (1600x1000) on \`habitat serve\`; frames counted with requestAnimationFrame over ` +
          `${MEASURE_MS / 1000} s; machine: ${cpus().length} CPUs shared by the host, the agents and the browser`,
      ],
    };
  } finally {
    await closeBrowser(browser);
    await host.close();
  }
}
