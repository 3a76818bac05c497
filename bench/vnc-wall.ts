import { cpus } from 'node:os';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { ensureSandboxImage } from '../kernel/index.js';
import { closeBrowser, launchBrowser } from './lib/browser.js';
import { cpuTimes } from './lib/machine.js';
import { startServedHost } from './lib/servedHost.js';
import { summarize } from './lib/stats.js';
import type { BenchResult } from './lib/types.js';

export const name = 'graphical agents live in Mission Control: 16 thumbnails, frames per second each';

const AGENTS = 16;
const SCREEN = { width: 1280, height: 800 };
const MEASURE_MS = 10_000;
const AIM_FPS = 5;
/** Each agent's screen changes 10 times a second: a big square that changes colour, and a frame counter. */
const ANIMATION = `
wm geometry . 600x400+0+0
. configure -background black
canvas .c -width 600 -height 400 -highlightthickness 0 -background black
pack .c
set n 0
proc tick {} {
  global n
  incr n
  .c delete all
  .c create rectangle 0 0 400 400 -fill [format #%02x%02x%02x [expr {($n * 37) % 256}] [expr {($n * 91) % 256}] 128] -outline {}
  .c create text 500 200 -text $n -fill white -font {Helvetica 32}
  after 100 tick
}
tick
`;
/** Where the square is on each agent's screen (in the framebuffer's own pixels: the canvas is the framebuffer). */
const PROBE = { x: 200, y: 200 };

/**
 * Runs in the page (a string: the bench's own transpiler must not touch it): every animation frame, reads one
 * pixel of each thumbnail's canvas where its square is, and counts how often it changed: the frames each viewer
 * really showed.
 */
const SAMPLER = `async ({ pids, probe, ms }) => {
  // looked up every time: a viewer that reconnects gets a new canvas
  const context = (pid) =>
    document
      .querySelector('[data-testid="vnc-screen-' + pid + '"] canvas')
      ?.getContext('2d', { willReadFrequently: true });
  const last = pids.map(() => -1);
  const counts = pids.map(() => 0);
  const end = performance.now() + ms;
  await new Promise((resolve) => {
    const sample = () => {
      pids.forEach((pid, i) => {
        const ctx = context(pid);
        if (!ctx) return;
        const [r, g, b] = ctx.getImageData(probe.x, probe.y, 1, 1).data;
        const value = (r << 16) | (g << 8) | b;
        if (last[i] !== -1 && value !== last[i]) counts[i]++;
        last[i] = value;
      });
      if (performance.now() < end) requestAnimationFrame(sample);
      else resolve();
    };
    requestAnimationFrame(sample);
  });
  return counts;
}`;

export async function run(): Promise<BenchResult> {
  await ensureSandboxImage(new Dockerode(), { variant: 'desktop' });
  const host = await startServedHost();
  const { client } = host;
  const browser = await launchBrowser();
  try {
    const pids: number[] = [];
    const spawnStart = Date.now();
    const progress = (what: string) =>
      process.stderr.write(`  ${((Date.now() - spawnStart) / 1000).toFixed(1)} s: ${what}\n`);
    for (let i = 0; i < AGENTS; i++) {
      const agent = await client.call('process.spawn', { sandbox: 'docker', graphical: SCREEN });
      pids.push(agent.pid);
      progress(`spawned agent ${agent.pid}`);
    }
    for (const pid of pids) {
      await client.call('fs.write', { pid, path: 'animation.tcl', content: ANIMATION });
      await client.call(
        'vnc.exec',
        { pid, argv: ['wish', '/home/agent/animation.tcl'] },
        { timeoutMs: 60_000 },
      );
      progress(`animating on agent ${pid}`);
    }
    const spawnMs = Date.now() - spawnStart;

    // Mission Control as a person opens it (a first visit shows it), maximised: at this size all 16 cards are in
    // view, and only cards in view hold a connection
    const page = await browser.newPage({ viewport: { width: 1920, height: 1200 } });
    await page.goto(host.url);
    const missionControl = page.locator('[data-testid="window"][data-kind="missionControl"]');
    await missionControl.getByRole('button', { name: 'Maximise' }).click({ timeout: 60_000 });
    const connectStart = Date.now();
    for (const pid of pids) {
      await page
        .getByTestId(`vnc-thumbnail-${pid}`)
        .and(page.locator('[data-vnc-phase="connected"]'))
        .waitFor({ timeout: 60_000 });
    }
    const connectMs = Date.now() - connectStart;
    progress('every thumbnail connected');
    await page.waitForTimeout(1_000); // the first full frames

    const cpuBefore = cpuTimes();
    // In the page: every animation frame, read one pixel of each thumbnail's canvas where its square is, and count
    // how often it changed: the frames each viewer really showed.
    const changes = (await Promise.race([
      page.evaluate(`(${SAMPLER})(${JSON.stringify({ pids, probe: PROBE, ms: MEASURE_MS })})`),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('the page did not finish sampling')), MEASURE_MS + 60_000).unref(),
      ),
    ])) as number[];
    const cpuAfter = cpuTimes();
    await page
      .screenshot({ path: join('test-results', 'screens', 'bench-vnc-wall.png') })
      .catch(() => undefined);
    const fps = changes.map((n) => n / (MEASURE_MS / 1000));
    const stats = summarize(fps);
    const cpu = (cpuAfter.busy - cpuBefore.busy) / (cpuAfter.total - cpuBefore.total);
    return {
      metrics: [
        {
          name: 'frames per second, slowest thumbnail',
          value: Math.min(...fps),
          unit: 'fps',
          aimAtLeast: AIM_FPS,
        },
        { name: 'frames per second, median thumbnail', value: stats.p50, unit: 'fps', aimAtLeast: AIM_FPS },
        { name: 'machine CPU busy while watching', value: Math.round(cpu * 1000) / 10, unit: '%' },
        { name: 'all 16 thumbnails connected', value: connectMs, unit: 'ms' },
      ],
      notes: [
        `${AGENTS} graphical agents (${SCREEN.width}x${SCREEN.height}, habitat/sandbox:desktop), each animating ` +
          `at 10 frames/s; spawned and started in ${(spawnMs / 1000).toFixed(1)} s`,
        `one Chromium page with Mission Control maximised: ${AGENTS} cards, each a noVNC viewer through the ` +
          `host's proxy, scaled thumbnails; frames counted as changes of a probed pixel over ${MEASURE_MS / 1000} s`,
        `per agent fps: ${fps.map((f) => f.toFixed(1)).join(' ')}; machine: ${cpus().length} CPUs`,
      ],
    };
  } catch (error) {
    process.stderr.write(`  failed: ${String(error)}\n`);
    throw error;
  } finally {
    const t = Date.now();
    await closeBrowser(browser);
    process.stderr.write(`  browser closed in ${Date.now() - t} ms\n`);
    await host.close();
    process.stderr.write(`  host stopped and cleaned up in ${Date.now() - t} ms\n`);
  }
}
