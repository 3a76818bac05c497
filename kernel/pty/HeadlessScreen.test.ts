import xtermHeadless from '@xterm/headless';
import { describe, expect, it } from 'vitest';
import { HeadlessScreen } from './HeadlessScreen.js';

const MiB = 1_048_576;
/** Control sequences (CSI), to read a replay as plain text. */
const CSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Numbered, coloured lines in batches of about `batch` characters, as a flooding program's output arrives. */
function floodBatches(lines: number, batch = 65_536): string[] {
  const batches: string[] = [];
  let current = '';
  for (let i = 0; i < lines; i++) {
    current += `\x1b[3${i % 8}mline ${i}\x1b[0m\r\n`;
    if (current.length >= batch) {
      // cut inside an escape sequence, as a pty read may
      batches.push(current.slice(0, -3));
      current = current.slice(-3);
    }
  }
  batches.push(current);
  return batches;
}

const timersAndImmediates = (): number =>
  process.getActiveResourcesInfo().filter((name) => name === 'Timeout' || name === 'Immediate').length;

describe('HeadlessScreen under a flood', () => {
  it('keeps a bounded backlog, drops the oldest output and shows the tail, from a line start', async () => {
    const screen = new HeadlessScreen({ cols: 40, rows: 6, scrollback: 100 });
    const lines = 300_000; // about 6 MiB
    for (const batch of floodBatches(lines)) {
      screen.write(batch);
      expect(screen.backlog).toBeLessThanOrEqual(MiB);
    }
    const { lines: rows, cursor } = await screen.snapshot();
    expect(screen.backlog).toBe(0);
    // every row is a whole line, in order, ending with the last one written; the cursor below it
    expect(rows.slice(0, 5)).toEqual([4, 3, 2, 1, 0].map((back) => `line ${lines - 1 - back}`));
    expect(cursor).toEqual({ x: 0, y: 5 });
    // no debris of a sequence cut where output was dropped: scrollback and screen hold consecutive whole lines
    const text = (await screen.replay()).replace(CSI, '').split('\r\n');
    const numbers = text.filter((line) => line !== '').map((line) => Number(/^line (\d+)$/.exec(line)?.[1]));
    expect(numbers).toHaveLength(105);
    expect(numbers).toEqual(numbers.map((_, i) => lines - 105 + i));
    screen.dispose();
  });

  it('is exact below the backlog bound, and parses in slices that leave the event loop turning', async () => {
    const screen = new HeadlessScreen({ cols: 40, rows: 6, scrollback: 100_000 });
    const batches = floodBatches(40_000); // about 800 KiB, over keepChars: parsed once it is read
    for (const batch of batches) screen.write(batch);
    let turns = 0;
    let settled = false;
    const tick = (): void => {
      turns++;
      if (!settled) setImmediate(tick);
    };
    setImmediate(tick);
    const replay = await screen.replay();
    settled = true;
    // every line survived, and xterm had one 16 KiB slice per turn at most (the old way: ~12 ms at a time)
    for (const i of [0, 1, 20_000, 39_999]) expect(replay).toContain(`line ${i}\x1b`);
    expect(turns).toBeGreaterThanOrEqual(batches.join('').length / 16_384);
    screen.dispose();
  });

  it('answers a read during a flood with what it kept, and leaves no timer behind when disposed', async () => {
    const before = timersAndImmediates();
    const screen = new HeadlessScreen({ cols: 40, rows: 6, scrollback: 100 });
    const batches = floodBatches(100_000);
    for (const batch of batches.slice(0, -1)) screen.write(batch);
    const reading = screen.snapshot(); // the flood goes on meanwhile
    screen.write(batches.at(-1)!);
    await nextTurn();
    screen.write('\r\nafter');
    const snapshot = await reading;
    expect(snapshot.lines.join('\n')).toMatch(/line \d+/);
    expect(snapshot.lines).not.toContain('after'); // written after the read was asked for
    expect((await screen.snapshot()).lines).toContain('after');
    for (const batch of batches) screen.write(batch);
    screen.dispose(); // mid-flood, with unparsed output and a flood watch pending
    await expect(screen.settled()).rejects.toMatchObject({ code: 'E_CONFLICT' });
    await new Promise((resolve) => setTimeout(resolve, 5)); // xterm's own next turn, if it had one
    expect(timersAndImmediates()).toBeLessThanOrEqual(before);
  });

  it('parses nothing while output floods, and catches up once it calms, without a read', async () => {
    const screen = new HeadlessScreen({ cols: 40, rows: 6, scrollback: 100 });
    screen.write('a trickle\r\n'); // below the flood rate: parsed as it comes
    await nextTurn();
    await nextTurn();
    expect(screen.backlog).toBe(0);
    const batches = floodBatches(10_000); // about 200 KiB at once: a flood, but below the backlog bound
    for (const batch of batches) screen.write(batch);
    const total = batches.join('').length;
    for (let turn = 0; turn < 5; turn++) await nextTurn();
    expect(screen.backlog).toBe(total); // the host's time goes to carrying the flood, not to parsing it
    const deadline = Date.now() + 5_000;
    while (screen.backlog > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(screen.backlog).toBe(0); // calm again: parsed, though nobody asked
    const { lines } = await screen.snapshot();
    expect(lines.slice(0, 5)).toEqual([4, 3, 2, 1, 0].map((back) => `line ${9_999 - back}`));
    screen.dispose();
  });

  it('keeps the pen and the modes that output dropped in a flood had set', async () => {
    const E = '\x1b';
    const lines = (from: number, count: number): string =>
      Array.from({ length: count }, (_, i) => `line ${from + i}\r\n`).join('');
    // green, then (dropped unparsed) yellow, bracketed paste on and the cursor hidden, then ~1.5 MiB more
    const output =
      `${E}[32m${lines(0, 40_000)}${E}[0m${E}[33m${E}[?2004h${E}[?25l` +
      lines(40_000, 100_000) +
      `${E}[1mend`;
    const screen = new HeadlessScreen({ cols: 40, rows: 6, scrollback: 100 });
    for (let at = 0; at < output.length; at += 65_536) screen.write(output.slice(at, at + 65_536));
    const replay = await screen.replay();
    const parse = async (text: string) => {
      const terminal = new xtermHeadless.Terminal({
        cols: 40,
        rows: 6,
        scrollback: 100,
        allowProposedApi: true,
      });
      await new Promise<void>((resolve) => terminal.write(text, resolve));
      const buffer = terminal.buffer.active;
      const cells = Array.from({ length: buffer.length }, (_, y) => {
        const line = buffer.getLine(y)!;
        return `${line.translateToString(true)} ${line.getCell(0)!.getFgColor()}`;
      });
      const result = { cells, bracketedPaste: terminal.modes.bracketedPasteMode };
      terminal.dispose();
      return result;
    };
    const everything = await parse(output);
    expect(everything.cells.slice(-3)).toEqual(['line 139998 3', 'line 139999 3', 'end 3']);
    expect(await parse(replay)).toEqual(everything);
    expect(replay).toContain(`${E}[?25l`);
    screen.dispose();
  });
});
