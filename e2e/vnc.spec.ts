import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { ensureSandboxImage } from '../kernel/index.js';
import { dockerForTests } from '../test/docker.js';
import { colourShare, decodePng } from '../test/png.js';
import { expect, test, type ServedHost } from './fixtures.js';
import { bridge, openDesktop, screenshot, spawnMany, SCREENS, windowOf } from './helpers.js';

// Graphical agents end to end, in Chromium, through the UI a person uses: deployed from the dialog, their desktop in
// the Agent VM's Desktop tab (noVNC through the host's proxy), a program the test starts on it, a person's clicks and
// typing reaching that program once they take over, and their live thumbnails in Mission Control.
const docker = await dockerForTests('graphical agents in the browser');
const SCREEN = { width: 1024, height: 640 };
const MAGENTA: [number, number, number] = [255, 0, 255];
const MARKER = join(import.meta.dirname, '..', 'test', 'fixtures', 'desktop', 'marker.tcl');
/** Where the marker program's button and entry are on the agent's screen (its window at 40,40; a title bar). */
const BUTTON = { x: 360, y: 160 };
const ENTRY = { x: 360, y: 320 };

test.describe('graphical agents in the UI', () => {
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

  /** Puts the marker program into the agent's home and starts it on its display. */
  async function startMarker(host: ServedHost, pid: number): Promise<void> {
    await cli(host, ['fs', 'put', String(pid), MARKER, 'marker.tcl']);
    expect(await cli(host, ['vnc', 'exec', String(pid), '--', 'wish', '/home/agent/marker.tcl'])).toMatch(
      /^started wish \(pid \d+ in the sandbox\)/,
    );
  }

  /** An agent's screen as the browser shows it in a viewer: its canvas, decoded. */
  async function canvasImage(scope: Page | Locator, pid: number) {
    return decodePng(await scope.getByTestId(`vnc-screen-${pid}`).locator('canvas').screenshot());
  }

  /** Clicks a point of the agent's screen, mapped onto the scaled canvas. */
  async function clickDesktop(page: Page, screen: Locator, point: { x: number; y: number }): Promise<void> {
    const box = (await screen.locator('canvas').boundingBox())!;
    await page.mouse.click(
      box.x + (point.x * box.width) / SCREEN.width,
      box.y + (point.y * box.height) / SCREEN.height,
    );
  }

  /** The display's viewers as the kernel counts them (`habitat vnc ls`). */
  async function viewers(host: ServedHost, pid: number): Promise<number> {
    const displays = JSON.parse(await cli(host, ['--json', 'vnc', 'ls'])) as {
      pid: number;
      viewers: { view: number; control: number };
    }[];
    const found = displays.find((d) => d.pid === pid);
    return found ? found.viewers.view + found.viewers.control : -1;
  }

  test('deployed from the dialog: the Desktop tab shows it, a program on it, and takeover reaches that program; its card is live', async ({
    page,
    host,
  }) => {
    test.setTimeout(240_000);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await openDesktop(page, host);

    // deploy a graphical agent the way a person does
    await page.getByTestId('dock-deploy').click();
    const dialog = page.getByRole('dialog', { name: 'Deploy an agent' });
    await dialog.getByLabel('Name', { exact: true }).fill('painter');
    await expect(dialog.getByLabel('Graphical desktop')).toHaveCount(0); // a host sandbox has none
    await dialog.getByText('Container (Docker)').click();
    await dialog.getByLabel('Graphical desktop').check();
    await dialog.getByLabel('Screen size').fill('64x64');
    await dialog.getByTestId('deploy-submit').click();
    await expect(dialog.getByLabel('Screen size')).toHaveAttribute('aria-invalid', 'true');
    await expect(dialog.getByText('from 320x200 to 7680x4320')).toBeVisible();
    await dialog.getByLabel('Screen size').fill(`${SCREEN.width}x${SCREEN.height}`);
    await dialog.getByLabel('Open its window after deploying').check();
    await screenshot(page, 'vnc-deploy-graphical');
    await dialog.getByTestId('deploy-submit').click();
    await expect(dialog).toHaveCount(0, { timeout: 120_000 });

    // its Agent VM opens on the Desktop tab, view-only
    const vm = windowOf(page, 'agentVm');
    await expect(vm.getByTestId('agent-vm')).toBeVisible();
    const pid = Number(await vm.getByTestId('agent-vm').getAttribute('data-pid'));
    await expect(vm.getByRole('tab', { name: 'Desktop' })).toHaveAttribute('aria-selected', 'true');
    const viewer = vm.getByTestId(`vnc-full-${pid}`);
    await expect(viewer).toHaveAttribute('data-vnc-phase', 'connected', { timeout: 30_000 });
    await expect(viewer).toHaveAttribute('data-vnc-mode', 'view');
    await expect(vm.getByRole('toolbar', { name: "painter's desktop" })).toContainText('Live');
    await vm.getByRole('button', { name: 'Maximise' }).click();
    expect(page.url()).not.toContain('token=');

    // the desktop, then the program the test starts on it, seen in the canvas
    expect(colourShare(await canvasImage(vm, pid), MAGENTA)).toBe(0);
    await startMarker(host, pid);
    await expect
      .poll(async () => colourShare(await canvasImage(vm, pid), MAGENTA), { timeout: 20_000 })
      .toBeGreaterThan(0.2);

    // watching: a click does nothing
    const screen = vm.getByTestId(`vnc-screen-${pid}`);
    await expect(screen).toHaveAttribute('aria-label', "painter's screen, view only");
    await clickDesktop(page, screen, BUTTON);
    await page.waitForTimeout(1000);
    expect((await host.cli(['fs', 'cat', String(pid), 'clicked.txt'])).code).toBe(1);

    // take over, by keyboard: the screen then has the keyboard, and clicks and typing reach the program
    await vm.getByRole('button', { name: 'Take over' }).focus();
    await page.keyboard.press('Enter');
    await expect(viewer).toHaveAttribute('data-vnc-mode', 'control');
    await expect(viewer).toHaveAttribute('data-vnc-phase', 'connected', { timeout: 15_000 });
    await expect(screen.locator('canvas')).toBeFocused();
    await expect(vm.getByTestId('vnc-mode')).toHaveText('You are in control');
    await clickDesktop(page, screen, BUTTON);
    await expect
      .poll(async () => (await host.cli(['fs', 'cat', String(pid), 'clicked.txt'])).stdout)
      .toBe('clicked\n');
    await clickDesktop(page, screen, ENTRY);
    await page.keyboard.type('hello from chromium');
    await page.keyboard.press('Enter');
    await expect
      .poll(async () => (await host.cli(['fs', 'cat', String(pid), 'typed.txt'])).stdout)
      .toBe('hello from chromium\n');

    // the Agent VM's desktop, in control, in both themes; its controls have names, roles and contrast (axe)
    for (const theme of ['dark', 'light'] as const) {
      await page.emulateMedia({ colorScheme: theme });
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
      await page.waitForTimeout(300);
      await screenshot(page, `vnc-agent-desktop-${theme}`);
      const axe = await new AxeBuilder({ page }).include('[data-testid="desktop-pane"]').analyze();
      expect(axe.violations.map((v) => `${theme}: ${v.id}: ${v.help}`)).toEqual([]);
    }

    // hand back: watching again
    await vm.getByRole('button', { name: 'Hand back' }).click();
    await expect(viewer).toHaveAttribute('data-vnc-mode', 'view');
    await expect(viewer).toHaveAttribute('data-vnc-phase', 'connected', { timeout: 15_000 });

    // two viewers: this one, and the thumbnail on the agent's card in Mission Control (open behind this window)
    await expect.poll(() => viewers(host, pid), { timeout: 15_000 }).toBe(2);
    // another tab: the desktop nobody sees here (and nobody controls) lets its connection go
    await vm.getByRole('tab', { name: 'Logs' }).click();
    await expect(vm.getByTestId('desktop-pane')).toHaveAttribute('data-paused', 'true');
    await expect.poll(() => viewers(host, pid), { timeout: 15_000 }).toBe(1);

    // its Mission Control card shows the same desktop, live, in place of the terminal preview
    await vm.getByRole('button', { name: 'Restore' }).click();
    await page.getByTestId('dock-missionControl').click();
    const mc = windowOf(page, 'missionControl');
    await mc.getByRole('button', { name: 'Maximise' }).click();
    const card = mc.locator(`[data-testid="agent-card"][data-pid="${pid}"]`);
    await expect(card).toHaveAttribute('data-graphical', 'true');
    await expect(card.getByTestId('terminal-preview')).toHaveCount(0);
    const thumbnail = card.getByTestId(`vnc-thumbnail-${pid}`);
    await expect(thumbnail).toHaveAttribute('data-vnc-phase', 'connected', { timeout: 30_000 });
    await expect(thumbnail).toHaveAttribute('data-vnc-mode', 'view');
    await expect
      .poll(async () => colourShare(await canvasImage(card, pid), MAGENTA), { timeout: 20_000 })
      .toBeGreaterThan(0.2);
    for (const theme of ['dark', 'light'] as const) {
      await page.emulateMedia({ colorScheme: theme });
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
      await page.waitForTimeout(300);
      await screenshot(page, `vnc-mission-control-${theme}`);
    }

    // the thumbnail is a control: Enter on it brings the agent's window back, on its Desktop tab
    await card.getByRole('button', { name: /^Open painter's desktop/ }).focus();
    await page.keyboard.press('Enter');
    await expect(vm).toHaveAttribute('data-focused', 'true');
    await expect(vm.getByRole('tab', { name: 'Desktop' })).toHaveAttribute('aria-selected', 'true');
    await expect(viewer).toHaveAttribute('data-vnc-phase', 'connected', { timeout: 30_000 });

    // the screenshot the kernel takes shows the same program
    const shot = join(SCREENS, 'vnc-kernel-screenshot.png');
    expect(await cli(host, ['vnc', 'screenshot', String(pid), '-o', shot])).toContain('1024x640 PNG');
    expect(errors).toEqual([]);
  });

  test('Mission Control: a thumbnail holds a connection only while its card is on screen, and goes when its agent ends', async ({
    page,
    host,
  }) => {
    test.setTimeout(180_000);
    // host agents first: the grid sorts by PID, so the graphical ones are below the fold
    await spawnMany(host, 12, (i) => ({ name: `shell-${i}`, role: 'a shell' }));
    const client = await bridge(host);
    const pids: number[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const info = await client.call(
          'process.spawn',
          { name: `desk-${i}`, sandbox: 'docker', graphical: { width: 640, height: 400 } },
          { timeoutMs: 120_000 },
        );
        pids.push(info.pid);
      }
    } finally {
      client.close();
    }
    await openDesktop(page, host);
    const mc = windowOf(page, 'missionControl');
    for (const pid of pids) {
      await expect(mc.locator(`[data-testid="agent-card"][data-pid="${pid}"]`)).toHaveCount(0);
    }
    await page.waitForTimeout(2000);
    for (const pid of pids) expect(await viewers(host, pid)).toBe(0);

    // scrolled into view: live
    await mc.getByTestId('mc-scroll').evaluate((el) => (el.scrollTop = el.scrollHeight));
    for (const pid of pids) {
      await expect(mc.getByTestId(`vnc-thumbnail-${pid}`)).toHaveAttribute('data-vnc-phase', 'connected', {
        timeout: 30_000,
      });
      await expect.poll(() => viewers(host, pid)).toBe(1);
    }
    // a program on one agent's screen shows in its thumbnail, and only there
    await startMarker(host, pids[1]!);
    await expect
      .poll(async () => colourShare(await canvasImage(mc, pids[1]!), MAGENTA), { timeout: 20_000 })
      .toBeGreaterThan(0.2);
    expect(colourShare(await canvasImage(mc, pids[0]!), MAGENTA)).toBe(0);
    await screenshot(page, 'vnc-mission-control-thumbnails');

    // scrolled away: the connections close (the card keeps a picture of the last frame for when it comes back)
    await mc.getByTestId('mc-scroll').evaluate((el) => (el.scrollTop = 0));
    for (const pid of pids) await expect.poll(() => viewers(host, pid), { timeout: 15_000 }).toBe(0);
    await mc.getByTestId('mc-scroll').evaluate((el) => (el.scrollTop = el.scrollHeight));
    const back = mc.locator(`[data-testid="agent-card"][data-pid="${pids[1]}"]`);
    await expect(back.getByTestId(`vnc-thumbnail-${pids[1]}`)).toHaveAttribute(
      'data-vnc-phase',
      'connected',
      {
        timeout: 30_000,
      },
    );

    // an agent that ends leaves the live grid, its thumbnail with it; the other stays live
    await cli(host, ['kill', '-s', 'KILL', String(pids[0])]);
    await expect(mc.getByTestId(`vnc-thumbnail-${pids[0]}`)).toHaveCount(0, { timeout: 15_000 });
    await expect(mc.getByTestId(`vnc-thumbnail-${pids[1]}`)).toHaveAttribute('data-vnc-phase', 'connected');
  });
});
