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
});
