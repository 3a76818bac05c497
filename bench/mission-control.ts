import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { closeBrowser, launchBrowser } from './lib/browser.js';
import { machineBusy } from './lib/machine.js';
import { startServedHost } from './lib/servedHost.js';
import type { BenchResult } from './lib/types.js';

export const name = 'Mission Control with 200 agents streaming: first paint and frames per second';

const AGENTS = Number(process.env.HABITAT_BENCH_MC_AGENTS ?? 200);
const MEASURE_MS = 5_000;
/** A cold load varies by a third from one to the next on a busy machine: the median of a few says more than one. */
const LOADS = 3;
/**
 * Every agent's shell prints a line twice a second, for as long as the bench runs: terminal output and previews. It
 * waits with `read -t 0.5` on its terminal, where nothing is typed: a pause that starts no process, so that what the
 * machine spends is what Habitat and the browser spend on the stream. While its home holds FORKING_FLAG, it prints
 * "fork" lines and starts a `sleep` for each pause instead (400 processes a second with 200 agents): on a machine of
 * few CPUs those forks take a large share of it, the load of busy agents rather than of Habitat. Those are measured
 * too, for comparison, without an aim. (`[` and `echo` are the shell's own: testing the flag starts no process.)
 */
const FORKING_FLAG = '.bench-forking';
const TICKER =
  `while :; do if [ -e ~/${FORKING_FLAG} ]; then echo "fork $SECONDS $RANDOM"; sleep 0.5; ` +
  'else echo "tick $SECONDS $RANDOM"; read -t 0.5; fi; done\n';

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

interface Paint {
  fcpMs: number;
  gridMs: number;
  /**
   * The later of the two: a frame's rendering may end (gridMs) before the screen shows it, while the paint timing's
   * FCP is when the screen showed the first content. So this is at least when the grid was shown, if it came in that
   * first frame (the page's first data lets it), and no less than gridMs if it came later.
   */
  shownMs: number;
}

/** Milliseconds from navigation start until a frame that lists every agent and shows cards is drawn; and the FCP. */
async function firstPaint(page: Page, url: string): Promise<Paint> {
  await page.goto(url, { waitUntil: 'commit' });
  const gridMs = (await page.evaluate(GRID_READY)) as number;
  // the paint entry is recorded after the frame that painted: wait for it rather than read it too early
  const fcpMs = (await page.evaluate(`new Promise((resolve, reject) => {
    setTimeout(() => reject(new Error('no first-contentful-paint entry in 30 s')), 30000);
    new PerformanceObserver((list, observer) => {
      const fcp = list.getEntriesByName('first-contentful-paint')[0];
      if (!fcp) return;
      observer.disconnect();
      resolve(fcp.startTime);
    }).observe({ type: 'paint', buffered: true });
  })`)) as number;
  return { fcpMs, gridMs, shownMs: Math.max(fcpMs, gridMs) };
}

/** A cold load in a context of its own: no cache, no storage and a new renderer, as a first visit has. */
async function coldLoad(browser: Browser, url: string): Promise<{ paint: Paint; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  return { paint: await firstPaint(page, url), page };
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const percent = (share: number | undefined): string =>
  share === undefined ? 'n/a' : `${Math.round(share * 100)}%`;
const eachLoad = (loads: Paint[]): string => loads.map((l) => `${Math.round(l.shownMs)} ms`).join(', ');

export async function run(): Promise<BenchResult> {
  const host = await startServedHost();
  const { client } = host;
  const browser = await launchBrowser();
  try {
    const start = Date.now();
    const terminals: number[] = [];
    const pids: number[] = [];
    for (let i = 0; i < AGENTS; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, AGENTS - i) }, (_, j) =>
          client.call('process.spawn', { name: `streamer-${i + j}`, role: 'prints a tick twice a second' }),
        ),
      );
      for (const agent of batch) {
        const terminal = (await client.call('pty.list', { pid: agent.pid })).terminals[0]!.terminal;
        terminals.push(terminal);
        pids.push(agent.pid);
        await client.call('pty.input', { terminal, data: TICKER });
      }
    }
    const spawnMs = Date.now() - start;
    process.stderr.write(`  ${AGENTS} agents streaming after ${(spawnMs / 1000).toFixed(1)} s\n`);

    /** Waits until every shell's last line is of the kind `word` begins (after a switch: printed since). */
    const printing = async (word: string): Promise<void> => {
      const deadline = Date.now() + 10_000;
      for (let waiting = terminals; waiting.length > 0;) {
        if (Date.now() > deadline) throw new Error(`${waiting.length} shells did not print "${word}"`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        const done = await Promise.all(
          waiting.map(async (terminal) => {
            const { lines } = await client.call('pty.screen', { terminal });
            return lines.findLast((line) => line.trim() !== '')?.startsWith(word) ?? false;
          }),
        );
        waiting = waiting.filter((_, i) => !done[i]);
      }
    };
    let forkingNow = false;
    /** Switches every shell's loop; once each prints the new kind of line, leaves it a second to settle. */
    const useForking = async (forking: boolean): Promise<void> => {
      if (forking === forkingNow) return;
      forkingNow = forking;
      for (const pid of pids) {
        if (forking) await client.call('fs.write', { pid, path: FORKING_FLAG, content: '' });
        else await client.call('fs.delete', { pid, path: FORKING_FLAG });
      }
      await printing(forking ? 'fork ' : 'tick ');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    };
    await printing('tick ');
    const busy = { lean: await machineBusy(2_000), forking: undefined as number | undefined };
    await useForking(true);
    busy.forking = await machineBusy(2_000);
    // one load first, not counted, so that the browser's own processes (GPU, network) are running, as in a browser
    // someone already uses; then the two kinds in the order ABBA..., so that each goes first as often
    await (await coldLoad(browser, host.url)).page.context().close();
    const loads = { lean: [] as Paint[], forking: [] as Paint[] };
    const order = Array.from({ length: 2 * LOADS }, (_, i) =>
      i % 4 === 0 || i % 4 === 3 ? ('forking' as const) : ('lean' as const),
    );
    let page: Page | undefined;
    for (const kind of order) {
      await page?.context().close();
      await useForking(kind === 'forking');
      const load = await coldLoad(browser, host.url);
      page = load.page;
      loads[kind].push(load.paint);
    }
    // the last load was lean: its page is measured with both kinds of shell
    await useForking(true);
    page = page!;
    await page.waitForTimeout(1_000);
    const scrollingForking = await frames(page, true);
    await useForking(false);
    await page.waitForTimeout(1_000);
    const watching = await frames(page, false);
    const scrolling = await frames(page, true);
    await page
      .screenshot({ path: join('test-results', 'screens', 'bench-mission-control.png') })
      .catch(() => undefined);
    const lean = {
      shownMs: median(loads.lean.map((l) => l.shownMs)),
      fcpMs: median(loads.lean.map((l) => l.fcpMs)),
    };
    return {
      metrics: [
        {
          name: `first paint of Mission Control, 200 agents listed and shown (median of ${LOADS} loads)`,
          value: lean.shownMs,
          unit: 'ms',
          aimAtMost: 1000,
        },
        { name: `first contentful paint (median of ${LOADS})`, value: lean.fcpMs, unit: 'ms' },
        { name: 'frames per second, watching', value: watching.fps, unit: 'fps', aimAtLeast: 50 },
        { name: 'longest frame gap, watching', value: watching.worstGapMs, unit: 'ms' },
        { name: 'frames per second, scrolling the grid', value: scrolling.fps, unit: 'fps', aimAtLeast: 50 },
        { name: 'longest frame gap, scrolling', value: scrolling.worstGapMs, unit: 'ms' },
        {
          name: `first paint, shells forking a sleep per line (median of ${LOADS})`,
          value: median(loads.forking.map((l) => l.shownMs)),
          unit: 'ms',
        },
        { name: 'frames per second, scrolling, shells forking', value: scrollingForking.fps, unit: 'fps' },
      ],
      notes: [
        `${AGENTS} host-sandbox agents, each shell printing a line every 0.5 s (waiting with read -t, no process ` +
          `started); spawned in ${(spawnMs / 1000).toFixed(1)} s; the cards on screen read their terminals' ` +
          'screens (pty.screen)',
        'first paint: from navigation until a frame that lists every agent and shows a card has been drawn and the ' +
          'first contentful paint shown, whichever is later, in a new browser context, after one load not counted; ' +
          `each load: ${eachLoad(loads.lean)}`,
        `one Chromium page (1600x1000) on \`habitat serve\`; frames counted with requestAnimationFrame over ` +
          `${MEASURE_MS / 1000} s; machine: ${cpus().length} CPUs shared by the host, the agents and the browser`,
        `shells forking: the same lines from shells that start a \`sleep\` for each pause (${2 * AGENTS} ` +
          `processes a second; they print a little less often), loads in the order ${order.map((k) => k[0]).join('')} ` +
          `(f: forking, l: lean); each load: ${eachLoad(loads.forking)}`,
        `the machine's CPU busy over 2 s before any page was opened: ${percent(busy.lean)} with the aims' shells, ` +
          `${percent(busy.forking)} with shells forking`,
      ],
    };
  } finally {
    await closeBrowser(browser);
    await host.close();
  }
}
