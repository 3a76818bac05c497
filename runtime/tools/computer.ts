import { z } from 'zod';
import { defineTool, type AgentHost, type Tool, type ToolContext, type ToolOutput } from './types.js';

/** How long one xdotool command may take (typing long text takes a while: 12 ms a character). */
const INPUT_TIMEOUT_MS = 60_000;
const TYPE_DELAY_MS = 12;

const coordinate = z.number().int().nonnegative().max(16_384);
const button = z.enum(['left', 'middle', 'right']);
const BUTTONS = { left: '1', middle: '2', right: '3' } as const;
/** xdotool's key names joined by '+': ctrl+shift+t, Return, alt+F4, super, KP_Enter, a. */
const keyCombo = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$/, 'key names joined by +, like ctrl+c, Return or alt+F4');

/** The display of a graphical agent, as its tools need it. */
function displayOf(ctx: ToolContext): NonNullable<AgentHost['display']> {
  const display = ctx.host.display;
  if (!display) throw new Error('this agent has no screen: it was not spawned as a graphical agent');
  return display;
}

function checkPoint(ctx: ToolContext, x: number | undefined, y: number | undefined): string | undefined {
  const { width, height } = displayOf(ctx);
  if (x === undefined || y === undefined) return undefined;
  return x < width && y < height ? undefined : `(${x}, ${y}) is off the screen, which is ${width}x${height}`;
}

/** Runs xdotool on the agent's display (its sandbox has DISPLAY set); a failure is the model's to read. */
async function xdotool(ctx: ToolContext, args: string[], done: string): Promise<ToolOutput> {
  displayOf(ctx);
  const result = await ctx.host.exec(['xdotool', ...args], {
    timeoutMs: INPUT_TIMEOUT_MS,
    maxOutputBytes: 16 * 1024,
    signal: ctx.signal,
  });
  if (result.exitCode === 0 && !result.timedOut) return { content: done, data: { args } };
  const why = result.timedOut ? 'timed out' : `exit code ${result.exitCode}`;
  return {
    content: `xdotool ${why}: ${(result.stderr || result.stdout).trim().slice(0, 2000)}`,
    isError: true,
  };
}

export const screenshot = defineTool({
  name: 'screenshot',
  description:
    'Look at your screen: returns a PNG of the whole desktop (coordinates in pixels from the top left corner). ' +
    'Take one before you click, and after, to see what happened.',
  parameters: z.object({}),
  harmless: true,
  async handler(_args, ctx) {
    const shot = await displayOf(ctx).screenshot();
    return {
      content: `screenshot of the ${shot.width}x${shot.height} screen`,
      data: { width: shot.width, height: shot.height, bytes: shot.png.length },
      images: [{ mimeType: 'image/png', data: shot.png }],
    };
  },
});

export const mouseMove = defineTool({
  name: 'mouse_move',
  description: 'Move the mouse pointer to (x, y) on your screen, in pixels from the top left corner.',
  parameters: z.object({ x: coordinate, y: coordinate }),
  async handler({ x, y }, ctx) {
    const off = checkPoint(ctx, x, y);
    if (off) return { content: off, isError: true };
    return xdotool(ctx, ['mousemove', '--sync', String(x), String(y)], `the pointer is at (${x}, ${y})`);
  },
});

export const mouseClick = defineTool({
  name: 'mouse_click',
  description:
    'Click a mouse button, at (x, y) if given (the pointer moves there first), else where the pointer is. ' +
    'clicks: 2 for a double click.',
  parameters: z.object({
    x: coordinate.optional(),
    y: coordinate.optional(),
    button: button.default('left'),
    clicks: z.number().int().min(1).max(3).default(1),
  }),
  async handler({ x, y, button: which, clicks }, ctx) {
    if ((x === undefined) !== (y === undefined))
      return { content: 'give both x and y, or neither', isError: true };
    const off = checkPoint(ctx, x, y);
    if (off) return { content: off, isError: true };
    const move = x === undefined ? [] : ['mousemove', '--sync', String(x), String(y)];
    const where = x === undefined ? 'where the pointer is' : `at (${x}, ${y})`;
    return xdotool(
      ctx,
      [...move, 'click', '--repeat', String(clicks), BUTTONS[which]],
      `${clicks === 2 ? 'double-' : ''}clicked ${which} ${where}`,
    );
  },
});

export const scroll = defineTool({
  name: 'scroll',
  description:
    'Scroll with the mouse wheel where the pointer is (or at x, y): up, down, left or right, by steps.',
  parameters: z.object({
    direction: z.enum(['up', 'down', 'left', 'right']),
    steps: z.number().int().min(1).max(50).default(3),
    x: coordinate.optional(),
    y: coordinate.optional(),
  }),
  async handler({ direction, steps, x, y }, ctx) {
    if ((x === undefined) !== (y === undefined))
      return { content: 'give both x and y, or neither', isError: true };
    const off = checkPoint(ctx, x, y);
    if (off) return { content: off, isError: true };
    const wheel = { up: '4', down: '5', left: '6', right: '7' }[direction];
    const move = x === undefined ? [] : ['mousemove', '--sync', String(x), String(y)];
    return xdotool(
      ctx,
      [...move, 'click', '--repeat', String(steps), wheel],
      `scrolled ${direction} ${steps}`,
    );
  },
});

export const typeText = defineTool({
  name: 'type_text',
  description:
    'Type text with the keyboard into the window that has the focus (click it first). A newline is Enter. ' +
    'For shortcuts and special keys use press_keys.',
  parameters: z.object({ text: z.string().min(1).max(10_000) }),
  async handler({ text }, ctx) {
    return xdotool(
      ctx,
      ['type', '--delay', String(TYPE_DELAY_MS), '--', text],
      `typed ${text.length} character${text.length === 1 ? '' : 's'}`,
    );
  },
});

export const pressKeys = defineTool({
  name: 'press_keys',
  description:
    'Press keys or key combinations, one after the other, like ["ctrl+l"], ["Return"], ["ctrl+shift+t"], ' +
    '["alt+F4"], ["Tab", "Tab", "space"]. Names are X keysyms: Return, Escape, BackSpace, Delete, Tab, Up, Down, ' +
    'Left, Right, Home, End, Page_Up, Page_Down, F1-F12, ctrl, alt, shift, super.',
  parameters: z.object({ keys: z.array(keyCombo).min(1).max(50) }),
  async handler({ keys }, ctx) {
    return xdotool(ctx, ['key', '--delay', '50', '--', ...keys], `pressed ${keys.join(', ')}`);
  },
});

/** The computer-use tools: registered for graphical agents only (their host has a display). */
export const computerUseTools: readonly Tool[] = [
  screenshot,
  mouseMove,
  mouseClick,
  scroll,
  typeText,
  pressKeys,
];
