import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { ensureSandboxImage } from '../kernel/index.js';
import { dockerForTests } from '../test/docker.js';
import { colourShare, decodePng } from '../test/png.js';
import { expect, test, type ServedHost } from './fixtures.js';

// A graphical agent end to end, in Chromium: its desktop through noVNC and the host's proxy, a program the test
// starts on it, and a person's clicks and typing reaching that program.
const docker = await dockerForTests('graphical agents in the browser');
const SCREEN = { width: 1024, height: 640 };
const MAGENTA: [number, number, number] = [255, 0, 255];
const MARKER = join(import.meta.dirname, '..', 'test', 'fixtures', 'desktop', 'marker.tcl');
/** Where the marker program's button and entry are on the agent's screen (its window at 40,40; a title bar). */
const BUTTON = { x: 360, y: 160 };
const ENTRY = { x: 360, y: 320 };

test.describe('a graphical agent in the browser', () => {
  test.skip(!docker, 'no Docker daemon');
  test.beforeAll(async () => {
    test.setTimeout(20 * 60_000);
    await ensureSandboxImage(docker!, { variant: 'desktop' }); // CI builds it first (.ci/run)
  });

  async function cli(host: ServedHost, args: string[]): Promise<string> {
    const run = await host.cli(args);
    expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
    return run.stdout;
  }

  /** The agent's screen as the browser shows it: the canvas, decoded. */
  async function canvasImage(page: Page, pid: number) {
    return decodePng(await page.getByTestId(`vnc-screen-${pid}`).locator('canvas').screenshot());
  }

  /** Clicks a point of the agent's screen, mapped onto the scaled canvas. */
  async function clickDesktop(page: Page, pid: number, point: { x: number; y: number }): Promise<void> {
    const box = (await page.getByTestId(`vnc-screen-${pid}`).locator('canvas').boundingBox())!;
    await page.mouse.click(
      box.x + (point.x * box.width) / SCREEN.width,
      box.y + (point.y * box.height) / SCREEN.height,
    );
  }

  test('shows the desktop; a program on it shows its marker; clicks and typing reach it', async ({
    page,
    host,
  }) => {
    test.setTimeout(120_000);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));

    const spawned = JSON.parse(
      await cli(host, [
        '--json',
        'spawn',
        '--sandbox',
        'docker',
        '--graphical',
        `${SCREEN.width}x${SCREEN.height}`,
      ]),
    ) as { pid: number };
    const pid = spawned.pid;
    await cli(host, ['fs', 'put', String(pid), MARKER, 'marker.tcl']);

    await page.goto(`${host.url}#/vnc/${pid}`);
    const viewer = page.getByTestId(`vnc-full-${pid}`);
    await expect(viewer).toHaveAttribute('data-vnc-phase', 'connected', { timeout: 30_000 });
    await expect(viewer).toHaveAttribute('data-vnc-mode', 'view');
    expect(page.url()).not.toContain('token=');

    // the desktop, then the program the test starts on it, seen in the canvas
    expect(colourShare(await canvasImage(page, pid), MAGENTA)).toBe(0);
    expect(await cli(host, ['vnc', 'exec', String(pid), '--', 'wish', '/home/agent/marker.tcl'])).toMatch(
      /^started wish \(pid \d+ in the sandbox\)/,
    );
    await expect
      .poll(async () => colourShare(await canvasImage(page, pid), MAGENTA), { timeout: 20_000 })
      .toBeGreaterThan(0.2);

    // watching: a click does nothing
    await clickDesktop(page, pid, BUTTON);
    await page.waitForTimeout(1000);
    expect((await host.cli(['fs', 'cat', String(pid), 'clicked.txt'])).code).toBe(1);

    // take over: the click and the typing reach the program, which writes files the kernel's fs reads
    await page.getByTestId('vnc-take-over').click();
    await expect(viewer).toHaveAttribute('data-vnc-mode', 'control');
    await expect(viewer).toHaveAttribute('data-vnc-phase', 'connected', { timeout: 15_000 });
    await clickDesktop(page, pid, BUTTON);
    await expect
      .poll(async () => (await host.cli(['fs', 'cat', String(pid), 'clicked.txt'])).stdout)
      .toBe('clicked\n');
    await clickDesktop(page, pid, ENTRY);
    await page.keyboard.type('hello from chromium');
    await page.keyboard.press('Enter');
    await expect
      .poll(async () => (await host.cli(['fs', 'cat', String(pid), 'typed.txt'])).stdout)
      .toBe('hello from chromium\n');
    mkdirSync('test-results/screens', { recursive: true });
    await page.screenshot({ path: 'test-results/screens/vnc-desktop.png' });

    // hand back: watching again
    await page.getByTestId('vnc-hand-back').click();
    await expect(viewer).toHaveAttribute('data-vnc-mode', 'view');
    await expect(viewer).toHaveAttribute('data-vnc-phase', 'connected', { timeout: 15_000 });

    // the CLI's view of it: the display, a ticket, handing back
    const [display] = JSON.parse(await cli(host, ['--json', 'vnc', 'ls'])) as {
      pid: number;
      state: string;
    }[];
    expect(display).toMatchObject({ pid, state: 'ready', width: SCREEN.width, height: SCREEN.height });
    const ticket = JSON.parse(await cli(host, ['--json', 'vnc', 'open', '--control', String(pid)])) as {
      url: string;
      mode: string;
      token: string;
    };
    expect(ticket).toMatchObject({ url: `ws://127.0.0.1:${host.port}/vnc/${pid}`, mode: 'control' });
    expect(ticket.token).toMatch(/^[0-9a-f]{64}$/);
    expect(await cli(host, ['vnc', 'handback', String(pid)])).toBe('0 control session(s) ended\n');

    // the screenshot the kernel takes shows the same program
    const shot = join('test-results', 'screens', 'vnc-kernel-screenshot.png');
    expect(await cli(host, ['vnc', 'screenshot', String(pid), '-o', shot])).toContain('1024x640 PNG');
    expect(errors).toEqual([]);
  });

  test('the wall shows every graphical agent as a live thumbnail, and follows one that ends', async ({
    page,
    host,
  }) => {
    test.setTimeout(120_000);
    const pids: number[] = [];
    for (let i = 0; i < 2; i++) {
      const out = await cli(host, ['--json', 'spawn', '--sandbox', 'docker', '--graphical', '640x400']);
      pids.push((JSON.parse(out) as { pid: number }).pid);
    }
    await page.goto(`${host.url}#/vnc/wall`);
    for (const pid of pids) {
      await expect(page.getByTestId(`vnc-thumbnail-${pid}`)).toHaveAttribute('data-vnc-phase', 'connected', {
        timeout: 30_000,
      });
    }
    // a program on one agent's screen shows in its thumbnail, scaled into the cell
    await cli(host, ['fs', 'put', String(pids[1]), MARKER, 'marker.tcl']);
    await cli(host, ['vnc', 'exec', String(pids[1]), '--', 'wish', '/home/agent/marker.tcl']);
    await expect
      .poll(async () => colourShare(await canvasImage(page, pids[1]!), MAGENTA), { timeout: 20_000 })
      .toBeGreaterThan(0.2);
    expect(colourShare(await canvasImage(page, pids[0]!), MAGENTA)).toBe(0);
    await page.screenshot({ path: 'test-results/screens/vnc-wall.png' });
    await cli(host, ['kill', '-s', 'KILL', String(pids[0])]);
    await expect(page.getByTestId(`vnc-thumbnail-${pids[0]}`)).toHaveCount(0, { timeout: 15_000 });
    await expect(page.getByTestId(`vnc-thumbnail-${pids[1]}`)).toHaveAttribute('data-vnc-phase', 'connected');
  });
});
