import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import xtermHeadless from '@xterm/headless';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HabitatError } from '../../shared/protocol/index.js';
import { nodePtySpawner, TerminalSession, type TerminalSessionOptions } from './index.js';

const sessions: TerminalSession[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'habitat-pty-'));

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((session) => session.dispose()));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A shell script on a real pty, with everything it prints gathered by a consumer that acknowledges at once. */
function open(script: string, options: Partial<TerminalSessionOptions> = {}) {
  const session = new TerminalSession(nodePtySpawner, { file: '/bin/sh', args: ['-c', script], ...options });
  sessions.push(session);
  const output = { text: '' };
  const consumer = session.attach((data) => {
    output.text += data;
    consumer.ack(data.length);
  });
  return { session, output };
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const groupGone = (pgid: number): boolean => {
  try {
    process.kill(-pgid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
};

/** The group's processes that still run (zombies excluded), from /proc. */
function liveMembers(pgid: number): string[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(pgrp) === pgid && state !== 'Z' ? [stat] : [];
      } catch {
        return [];
      }
    });
}

// Unix ptys; the checksum tool and /proc are Linux's
const linux = process.platform === 'linux';

describe.skipIf(process.platform === 'win32')('TerminalSession on a real pty', () => {
  it('runs the program as a session leader and reproduces a full-screen drawing on its headless screen', async () => {
    const { session, output } = open(`printf '\\033[2J\\033[5;10HHELLO'; sleep 30`);
    expect(session.osPid).toBeGreaterThan(0);
    await waitFor('HELLO', () => output.text.includes('HELLO'));
    const screen = await session.screen();
    expect(screen).toMatchObject({ cols: 80, rows: 24, cursor: { x: 14, y: 4 }, alternate: false });
    expect(screen.lines).toHaveLength(24);
    expect(screen.lines[4]).toBe(' '.repeat(9) + 'HELLO');
    expect(screen.lines.filter((line) => line !== '')).toHaveLength(1);
  });

  it('follows a program onto the alternate screen and back, and replays it for a late attacher', async () => {
    const { session, output } = open(
      `printf 'normal text\\r\\n\\033[?1049h\\033[2J\\033[3;3HALT SCREEN'; read x; printf '\\033[?1049lback'; read y`,
    );
    await waitFor('the alternate screen', () => output.text.includes('ALT SCREEN'));
    const screen = await session.screen();
    expect(screen.alternate).toBe(true);
    expect(screen.lines[2]).toBe('  ALT SCREEN');
    expect(screen.lines).not.toContain('normal text');

    // a late attacher writes the replay, then live output, into its own xterm and ends up with the same screen
    const late = new xtermHeadless.Terminal({ cols: 80, rows: 24, allowProposedApi: true });
    const received: string[] = [];
    const consumer = session.attach((data) => received.push(data), { replay: true });
    const replay = await consumer.replay!;
    await session.write('\r');
    await waitFor('the normal screen', () => output.text.includes('back'));
    await waitFor('live output for the late attacher', () => received.join('').includes('back'));
    await new Promise<void>((resolve) => late.write(replay + received.join(''), resolve));
    const after = await session.screen();
    expect(after.alternate).toBe(false);
    expect(after.lines[0]).toBe('normal text');
    expect(after.lines[1]).toBe('back');
    const lateLines = Array.from({ length: 24 }, (_, y) =>
      late.buffer.active.getLine(y)!.translateToString(true),
    );
    expect(lateLines).toEqual(after.lines);
    late.dispose();
  });

  it('gives a late attacher after a flood the same screen and scrollback as parsing every byte would', async () => {
    // ~2 MB at full speed: a flood, so the headless screen parses none of it while it lasts and keeps only its tail,
    // which holds far more lines than the scrollback; the colour and a mode it sets early on are dropped unparsed
    const { session, output } = open(
      `printf '\\033[32m'; seq 1 50000; printf '\\033[0m\\033[33m\\033[?2004h'; seq 50001 250000; ` +
        `printf '\\033[0m\\033[1mdone\\033[0m\\n'; read x`,
      { cols: 60, rows: 10, scrollback: 2_000 },
    );
    await waitFor('the end of the flood', () => output.text.includes('done'), 30_000);
    const received: string[] = [];
    const consumer = session.attach((data) => received.push(data), { replay: true });
    const replay = await consumer.replay!;
    await session.write('\r');
    await waitFor('live output for the late attacher', () => received.join('').includes('\r\n'));

    const parse = async (text: string): Promise<xtermHeadless.Terminal> => {
      const terminal = new xtermHeadless.Terminal({
        cols: 60,
        rows: 10,
        scrollback: 2_000,
        allowProposedApi: true,
      });
      await new Promise<void>((resolve) => terminal.write(text, resolve));
      return terminal;
    };
    const everything = await parse(output.text);
    const late = await parse(replay + received.join(''));
    // every line's text, and the colour and weight it starts with (green digits, a bold "done")
    const contents = (terminal: xtermHeadless.Terminal) => {
      const buffer = terminal.buffer.active;
      return {
        lines: Array.from({ length: buffer.length }, (_, y) => {
          const line = buffer.getLine(y)!;
          const cell = line.getCell(0)!;
          return `${line.translateToString(true)} ${cell.getFgColor()}${cell.isBold() ? ' bold' : ''}`;
        }),
        cursor: [buffer.cursorX, buffer.cursorY],
      };
    };
    const expected = contents(everything);
    expect(expected.lines).toHaveLength(2_010);
    const end = expected.lines.findIndex((line) => line.startsWith('done'));
    expect(expected.lines.slice(end - 2, end + 1)).toEqual(['249999 3', '250000 3', 'done -1 bold']);
    expect(contents(late)).toEqual(expected);
    expect(everything.modes.bracketedPasteMode).toBe(true);
    expect(late.modes.bracketedPasteMode).toBe(true);
    const screen = (await session.screen()).lines;
    expect(screen).toEqual(expected.lines.slice(-10).map((line) => line.replace(/ -?\d+( bold)?$/, '')));
    everything.dispose();
    late.dispose();
  }, 40_000);

  it('passes a resize on to the program', async () => {
    const { session, output } = open(`printf 'ready\\n'; read x; stty size; read y`);
    await waitFor('ready', () => output.text.includes('ready'));
    session.resize(100, 40);
    expect([session.cols, session.rows]).toEqual([100, 40]);
    await session.write('\r');
    await waitFor('stty size', () => output.text.includes('40 100'));
    expect(await session.screen()).toMatchObject({ cols: 100, rows: 40 });
    for (const [cols, rows] of [
      [0, 10],
      [10, 1001],
      [1.5, 10],
      [Number.NaN, 10],
    ] as const) {
      expect(() => session.resize(cols, rows)).toThrow(HabitatError);
      try {
        session.resize(cols, rows);
      } catch (error) {
        expect((error as HabitatError).code).toBe('E_INVALID');
      }
    }
  });

  it.runIf(linux)(
    'delivers a 50 MB paste intact without blocking the event loop',
    async () => {
      const lines = randomBytes(37_500_000)
        .toString('base64')
        .match(/.{1,99}/g)!;
      const paste = lines.join('\n');
      const expected = createHash('sha256').update(paste).digest('hex');
      const { session, output } = open(
        `stty raw -echo -iexten; printf 'ready\\n'; head -c ${paste.length} | sha256sum`,
      );
      await waitFor('raw mode', () => output.text.includes('ready'));
      let last = Date.now();
      let longestStall = 0;
      const ticker = setInterval(() => {
        longestStall = Math.max(longestStall, Date.now() - last);
        last = Date.now();
      }, 10);
      await session.write(paste);
      // about 3 s on an idle 2-core machine; far longer only when other processes compete for the cores
      await waitFor('the checksum', () => /[0-9a-f]{64}/.test(output.text), 50_000);
      clearInterval(ticker);
      expect(output.text).toContain(expected);
      expect(longestStall).toBeLessThan(1_000);
    },
    55_000,
  );

  it('holds input for a program that is not reading, without blocking the kernel, until it reads', async () => {
    const { session, output } = open(`stty raw -echo; printf 'ready\\n'; sleep 1; head -c 300000 | wc -c`);
    await waitFor('raw mode', () => output.text.includes('ready'));
    let last = Date.now();
    let longestStall = 0;
    const ticker = setInterval(() => {
      longestStall = Math.max(longestStall, Date.now() - last);
      last = Date.now();
    }, 5);
    await session.write('x'.repeat(300_000)); // far more than the pty holds while the program sleeps
    await waitFor('the count', () => /300000/.test(output.text), 10_000);
    clearInterval(ticker);
    expect(longestStall).toBeLessThan(500);
  });

  it('pauses a fast producer for a consumer that does not acknowledge, and resumes when it does', async () => {
    const lines = 1_000_000;
    const session = new TerminalSession(nodePtySpawner, {
      file: '/bin/sh',
      args: ['-c', `yes | head -n ${lines}`],
    });
    sessions.push(session);
    const chunks: string[] = [];
    let received = 0;
    let acking = false;
    const consumer = session.attach((data) => {
      chunks.push(data);
      received += data.length;
      if (acking) consumer.ack(data.length);
    });
    // the defaults: batches are cut to the 1 MiB window, and a window within 16 KiB of full pauses the program
    await waitFor('the high watermark', () => received > 1_048_576 - 16_384);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stalled = received;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(received).toBe(stalled);
    expect(received).toBeLessThanOrEqual(1_048_576);
    expect(session.isPaused).toBe(true);

    acking = true;
    consumer.ack(received);
    const exit = await session.exited();
    expect(exit).toEqual({ exitCode: 0, signal: null });
    expect(received).toBe(lines * 3); // "y\r\n": the pty turns each \n into \r\n
    expect(chunks.join('') === 'y\r\n'.repeat(lines)).toBe(true);
  }, 30_000);

  it('delivers multi-byte characters and emoji intact across batch boundaries', async () => {
    const sample = 'aä€😀中文👩‍👩‍👧 𝕏́ ñ\n';
    const text = Array.from({ length: 2_000 }, (_, i) => `${i}:${sample}`).join('');
    const file = join(scratch, 'utf8.txt');
    writeFileSync(file, text);
    const session = new TerminalSession(nodePtySpawner, {
      file: '/bin/cat',
      args: [file],
      batchMaxBytes: 7,
      batchIntervalMs: 1,
    });
    sessions.push(session);
    const batches: string[] = [];
    const consumer = session.attach((data) => {
      batches.push(data);
      consumer.ack(data.length);
    });
    // a byte consumer beside it gets the same output undecoded, each batch whole characters on its own
    const byteBatches: Uint8Array[] = [];
    const byteConsumer = session.attachBytes((data) => {
      byteBatches.push(data);
      byteConsumer.ack(data.length);
    });
    await session.exited();
    const expected = text.replaceAll('\n', '\r\n');
    expect(batches.join('')).toBe(expected);
    expect(batches.length).toBeGreaterThan(text.length / 7);
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(7);
      expect(batch).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
    }
    const strict = new TextDecoder('utf-8', { fatal: true });
    expect(byteBatches.map((batch) => strict.decode(batch)).join('')).toBe(expected);
    for (const batch of byteBatches) expect(batch.length).toBeLessThanOrEqual(7);
    expect(byteConsumer.unacknowledged).toBe(0);
  });

  it('hands out the bytes it reads, undecoded, alongside the same output as text', async () => {
    const text = Array.from({ length: 3_000 }, (_, i) => `${i}:aä€😀中文👩‍👩‍👧\n`).join('');
    const file = join(scratch, 'bytes.txt');
    writeFileSync(file, text);
    const pty = nodePtySpawner.spawn('/bin/cat', [file], { cols: 80, rows: 24, name: 'xterm-256color' });
    const bytes: Uint8Array[] = [];
    const texts: string[] = [];
    pty.onBytes!((chunk) => bytes.push(chunk));
    pty.onData((chunk) => texts.push(chunk));
    await new Promise<void>((resolve) => pty.onExit(() => resolve()));
    const expected = text.replaceAll('\n', '\r\n');
    expect(texts.join('')).toBe(expected);
    expect(Buffer.concat(bytes).toString('utf8')).toBe(expected);
    expect(bytes.length).toBeGreaterThan(1); // several reads, so characters were cut between some of them
  });

  it('reports the exit code after the last output, and refuses input afterwards', async () => {
    const { session, output } = open(`printf 'last words'; exit 7`);
    const seenAtExit = new Promise<string>((resolve) => session.onExit(() => resolve(output.text)));
    expect(await session.exited()).toEqual({ exitCode: 7, signal: null });
    expect(await seenAtExit).toContain('last words');
    expect(session.exit).toEqual({ exitCode: 7, signal: null });
    expect((await session.screen()).lines[0]).toBe('last words'); // the screen stays readable until dispose
    await expect(session.write('x')).rejects.toMatchObject({ code: 'E_CONFLICT' });
    const late = await new Promise((resolve) => session.onExit(resolve));
    expect(late).toEqual({ exitCode: 7, signal: null });
  });

  it('reads the last output of a program that ends while flow control has paused it', async () => {
    const session = new TerminalSession(nodePtySpawner, {
      file: '/bin/sh',
      // the first output pauses the pty; the rest waits in the kernel's buffer when the program exits
      args: [
        '-c',
        `head -c 2000 /dev/zero | tr '\\0' x; sleep 0.2; head -c 8000 /dev/zero | tr '\\0' y; exit 3`,
      ],
      highWatermark: 1_000,
      lowWatermark: 100,
    });
    sessions.push(session);
    let received = '';
    session.attach((data) => (received += data)); // never acknowledges
    await waitFor('the pause', () => session.isPaused);
    expect(await session.exited()).toEqual({ exitCode: 3, signal: null });
    expect(received).toBe('x'.repeat(2_000) + 'y'.repeat(8_000));
  });

  it('reports the signal that ended the program', async () => {
    const { session, output } = open(`printf 'ready'; sleep 30`);
    await waitFor('ready', () => output.text.includes('ready'));
    session.kill('SIGKILL');
    expect(await session.exited()).toEqual({ exitCode: 137, signal: 'SIGKILL' }); // 128 + 9, as a shell says
    expect(() => session.kill('SIGNOPE' as NodeJS.Signals)).toThrow(/unknown signal/);
  });

  it.runIf(linux)(
    'kills a program that ignores SIGTERM within the grace period, leaving nothing of its group',
    async () => {
      const before = process.getActiveResourcesInfo().filter((name) => name !== 'TTYWrap').length;
      const { session, output } = open(`trap '' TERM HUP; sleep 100 & echo "child $!"; wait`, {
        killGraceMs: 500,
      });
      await waitFor('the child', () => /child \d+/.test(output.text));
      const pgid = session.osPid;
      expect(liveMembers(pgid)).toHaveLength(2); // the shell and its sleep
      const exits: unknown[] = [];
      session.onExit((exit) => exits.push(exit));

      const started = Date.now();
      await session.dispose();
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(450); // SIGTERM and SIGHUP were ignored...
      expect(took).toBeLessThan(2_000); // ...so SIGKILL followed the grace period
      expect(liveMembers(pgid)).toEqual([]);
      // the orphaned sleep stays a zombie until init reaps it, which some containers' init does only now and then
      await waitFor('the group to be reaped', () => groupGone(pgid), 5_000);
      expect(() => process.kill(-pgid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
      expect(exits).toEqual([{ exitCode: 137, signal: 'SIGKILL' }]);

      await expect(session.write('x')).rejects.toMatchObject({ code: 'E_CONFLICT' });
      expect(() => session.attach(() => undefined)).toThrow(/disposed/);
      await expect(session.screen()).rejects.toMatchObject({ code: 'E_CONFLICT' });
      await session.dispose(); // idempotent
      const after = process.getActiveResourcesInfo().filter((name) => name !== 'TTYWrap').length;
      expect(after).toBeLessThanOrEqual(before);
    },
  );

  it('refuses invalid options with E_INVALID', () => {
    const make = (options: Partial<TerminalSessionOptions>) => () =>
      new TerminalSession(nodePtySpawner, { file: '/bin/true', ...options });
    expect(make({ cols: 0 })).toThrow(expect.objectContaining({ code: 'E_INVALID' }));
    expect(make({ rows: 2000 })).toThrow(expect.objectContaining({ code: 'E_INVALID' }));
    expect(make({ highWatermark: 10, lowWatermark: 100 })).toThrow(
      expect.objectContaining({ code: 'E_INVALID' }),
    );
  });
});
