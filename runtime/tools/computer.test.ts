import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureSandboxImage, Kernel } from '../../kernel/index.js';
import { dockerForTests } from '../../test/docker.js';
import { tempDir, waitFor } from '../../test/helpers.js';
import { colourShare, decodePng } from '../../test/png.js';
import {
  agentTools,
  computerUseTools,
  coreTools,
  kernelHost,
  type AgentHost,
  type ToolContext,
  type ToolOutput,
} from './index.js';
import { FakeHost } from './testing/FakeHost.js';

const COMPUTER_TOOLS = ['screenshot', 'mouse_move', 'mouse_click', 'scroll', 'type_text', 'press_keys'];
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47]);

function context(host: AgentHost): ToolContext {
  return {
    host,
    signal: new AbortController().signal,
    memory: undefined,
    step: 1,
    complete: () => {},
    memoryChanged: () => {},
  };
}

/** Runs a call as the loop does: validated by the registry, then handled. */
async function call(
  host: AgentHost,
  name: string,
  args: unknown,
): Promise<ToolOutput & { invalid?: boolean }> {
  const prepared = agentTools(host).prepare({ id: 'c1', name, args });
  if (!prepared.ok) return { content: prepared.error, isError: true, invalid: true };
  const out = await prepared.tool.handler(prepared.args, context(host));
  return typeof out === 'string' ? { content: out } : out;
}

/** A FakeHost with a 1024x768 screen whose screenshot is a stub PNG. */
function graphicalHost(): FakeHost & { display: NonNullable<AgentHost['display']> } {
  const host = new FakeHost(1) as FakeHost & { display: NonNullable<AgentHost['display']> };
  Object.assign(host, {
    display: { width: 1024, height: 768, screenshot: async () => ({ width: 1024, height: 768, png: PNG }) },
  });
  return host;
}

describe('computer-use tools', () => {
  it('are registered for graphical agents only', () => {
    expect(agentTools(new FakeHost(1) as AgentHost).names()).toEqual(coreTools().names());
    expect(agentTools(graphicalHost()).names()).toEqual([...coreTools().names(), ...COMPUTER_TOOLS]);
    expect(computerUseTools.map((t) => t.name)).toEqual(COMPUTER_TOOLS);
    for (const declaration of agentTools(graphicalHost()).declarations().slice(-6)) {
      expect(declaration.description.length).toBeGreaterThan(40);
    }
  });

  it('screenshot gives the model the PNG as an image', async () => {
    const out = await call(graphicalHost(), 'screenshot', {});
    expect(out).toMatchObject({
      content: 'screenshot of the 1024x768 screen',
      images: [{ mimeType: 'image/png', data: PNG }],
    });
  });

  it('drives xdotool in the sandbox: moves, clicks, scrolls, types, presses keys', async () => {
    const host = graphicalHost();
    await call(host, 'mouse_move', { x: 10, y: 20 });
    await call(host, 'mouse_click', { x: 100, y: 200, clicks: 2 });
    await call(host, 'mouse_click', { button: 'right' });
    await call(host, 'scroll', { direction: 'down', steps: 5 });
    await call(host, 'type_text', { text: '-rf hello\n' });
    await call(host, 'press_keys', { keys: ['ctrl+shift+t', 'Return'] });
    expect(host.commands.map((c) => c.argv)).toEqual([
      ['xdotool', 'mousemove', '--sync', '10', '20'],
      ['xdotool', 'mousemove', '--sync', '100', '200', 'click', '--repeat', '2', '1'],
      ['xdotool', 'click', '--repeat', '1', '3'],
      ['xdotool', 'click', '--repeat', '5', '5'],
      ['xdotool', 'type', '--delay', '12', '--', '-rf hello\n'], // `--`: text is never an option
      ['xdotool', 'key', '--delay', '50', '--', 'ctrl+shift+t', 'Return'],
    ]);
  });

  it('refuses what would go wrong, with a reason the model can act on', async () => {
    const host = graphicalHost();
    expect(await call(host, 'mouse_move', { x: 1024, y: 0 })).toMatchObject({
      content: '(1024, 0) is off the screen, which is 1024x768',
      isError: true,
    });
    expect(await call(host, 'mouse_click', { x: 5 })).toMatchObject({ isError: true });
    expect(await call(host, 'press_keys', { keys: ['ctrl+c; rm'] })).toMatchObject({ invalid: true });
    expect(await call(host, 'type_text', { text: '' })).toMatchObject({ invalid: true });
    expect(host.commands).toEqual([]);

    const failing = graphicalHost();
    Object.assign(failing, {
      exec: async () => ({
        exitCode: 1,
        signal: null,
        stdout: '',
        stderr: "Can't open display",
        truncated: false,
        timedOut: false,
        durationMs: 1,
      }),
    });
    expect(await call(failing, 'mouse_move', { x: 1, y: 1 })).toMatchObject({
      content: "xdotool exit code 1: Can't open display",
      isError: true,
    });
  });
});

const docker = await dockerForTests('computer-use tools on a real display');

describe.skipIf(!docker)('computer-use tools on a graphical agent', () => {
  const dir = tempDir('habitat-computer-');
  let kernel: Kernel | undefined;
  afterAll(async () => {
    await kernel?.close();
    dir.cleanup();
  });

  it(
    'see the screen, click a button and type into a field of a program on it',
    async () => {
      await ensureSandboxImage(docker!, { variant: 'desktop' });
      kernel = await Kernel.open({
        dataDir: dir.path,
        mode: 'headless',
        version: 'test',
        warmPool: { size: 0 },
      });
      const { pid } = await kernel.processes.spawn({
        sandbox: 'docker',
        network: false,
        graphical: { width: 800, height: 600 },
      });
      const host = kernelHost(kernel, pid);
      expect(host.display).toMatchObject({ width: 800, height: 600 });
      expect(agentTools(host).has('screenshot')).toBe(true);

      const marker = readFileSync(
        join(import.meta.dirname, '../../test/fixtures/desktop/marker.tcl'),
        'utf8',
      );
      await kernel.fs(pid).write('marker.tcl', marker);
      await kernel.displays.exec(pid, ['wish', '/home/agent/marker.tcl']);
      let magenta = 0;
      for (let i = 0; i < 50 && magenta < 0.25; i++) {
        const shot = await call(host, 'screenshot', {});
        magenta = colourShare(decodePng(Buffer.from(shot.images![0]!.data)), [255, 0, 255]);
        if (magenta < 0.25) await new Promise((r) => setTimeout(r, 200));
      }
      expect(magenta).toBeGreaterThan(0.25);

      const home = kernel.processes.home(pid);
      expect(await call(host, 'mouse_click', { x: 360, y: 160 })).toMatchObject({
        content: 'clicked left at (360, 160)',
      });
      await waitFor(() => existsSync(join(home, 'clicked.txt')), 10_000, 'the click');
      await call(host, 'mouse_click', { x: 360, y: 320 });
      await call(host, 'type_text', { text: 'typed by a tool' });
      await call(host, 'press_keys', { keys: ['Return'] });
      await waitFor(() => existsSync(join(home, 'typed.txt')), 10_000, 'the typing');
      expect(readFileSync(join(home, 'typed.txt'), 'utf8')).toBe('typed by a tool\n');
    },
    20 * 60_000,
  );
});
