import xtermHeadless from '@xterm/headless';
import type { Terminal as XtermTerminal } from '@xterm/headless';
import { describe, expect, it } from 'vitest';
import { HeadlessScreen } from './HeadlessScreen.js';
import { serializeScreen } from './serializeScreen.js';

const { Terminal } = xtermHeadless;

const newTerminal = (): XtermTerminal =>
  new Terminal({ cols: 20, rows: 5, scrollback: 50, allowProposedApi: true });

const write = (terminal: XtermTerminal, data: string): Promise<void> =>
  new Promise((resolve) => terminal.write(data, resolve));

/** Every cell of the buffer as text plus its attributes, and the cursor: what must survive a round trip. */
function describeBuffer(terminal: XtermTerminal): string[] {
  const buffer = terminal.buffer.active;
  const cell = buffer.getNullCell();
  const rows = [`${buffer.type} cursor ${buffer.cursorX},${buffer.cursorY} base ${buffer.baseY}`];
  for (let y = 0; y < buffer.length; y++) {
    const line = buffer.getLine(y)!;
    let row = line.isWrapped ? '↩' : '';
    for (let x = 0; x < terminal.cols; x++) {
      line.getCell(x, cell);
      const chars = cell.getChars() || ' ';
      row += cell.isAttributeDefault()
        ? chars
        : `[${chars}:${cell.getFgColorMode()}/${cell.getFgColor()}/${cell.getBgColorMode()}/${cell.getBgColor()}/${cell.isBold()}${cell.isUnderline()}${cell.isInverse()}]`;
    }
    rows.push(row.trimEnd());
  }
  return rows;
}

async function roundTrip(source: XtermTerminal): Promise<XtermTerminal> {
  const copy = newTerminal();
  await write(copy, serializeScreen(source, false));
  return copy;
}

describe('serializeScreen', () => {
  it('reproduces scrollback, colours, wide characters and wrapped lines', async () => {
    const source = newTerminal();
    await write(source, '\x1b[1;31mred bold\x1b[0m plain \x1b[38;5;200;48;2;1;2;3mpalette+rgb\x1b[0m\r\n');
    await write(source, 'wide: 中文😀 end\r\n');
    await write(source, 'a line long enough to wrap around the twenty columns\r\n');
    for (let i = 0; i < 8; i++) await write(source, `scroll ${i}\r\n`);
    await write(source, '\x1b[44m  \x1b[0m\x1b[7minv\x1b[0m\x1b[4mu\x1b[0m');
    const copy = await roundTrip(source);
    expect(describeBuffer(copy)).toEqual(describeBuffer(source));
    expect(source.buffer.active.baseY).toBeGreaterThan(0);
  });

  it('reproduces the alternate screen over the normal one, and the modes', async () => {
    const source = newTerminal();
    await write(
      source,
      'shell prompt $ \x1b[?1049h\x1b[2J\x1b[2;3Hfull screen\x1b[?2004h\x1b[?1h\x1b[?1000h',
    );
    const copy = await roundTrip(source);
    expect(copy.buffer.active.type).toBe('alternate');
    expect(describeBuffer(copy)).toEqual(describeBuffer(source));
    expect(copy.modes).toEqual(source.modes);
    await write(source, '\x1b[?1049l');
    await write(copy, '\x1b[?1049l');
    expect(describeBuffer(copy)).toEqual(describeBuffer(source));
  });
});

describe('HeadlessScreen', () => {
  it('answers reads in stream order, keeps the cursor’s visibility for the replay, and fails reads once disposed', async () => {
    const screen = new HeadlessScreen({ cols: 20, rows: 5, scrollback: 10 });
    screen.write('\x1b[?25lhidden');
    const hidden = screen.replay();
    screen.write('\x1b[?25h\r\nshown');
    expect(await hidden).toContain('\x1b[?25l');
    expect(await screen.replay()).not.toContain('\x1b[?25l');
    expect((await screen.snapshot()).lines.slice(0, 2)).toEqual(['hidden', 'shown']);
    screen.write('more'); // still to be parsed, so the read waits
    const pending = screen.snapshot();
    screen.dispose();
    await expect(pending).rejects.toMatchObject({ code: 'E_CONFLICT' });
    await expect(screen.settled()).rejects.toMatchObject({ code: 'E_CONFLICT' });
  });
});
