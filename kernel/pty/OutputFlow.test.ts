import { afterEach, describe, expect, it, vi } from 'vitest';
import { OutputBatcher } from './OutputBatcher.js';
import { OutputConsumers } from './OutputConsumers.js';
import { chunkText, safeCutIndex } from './text.js';
import { completeUtf8Length, decodeUtf8, utf8CutIndex } from './utf8.js';

const bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');
/** A batcher whose batches are collected as text (each batch must be whole characters: decoded strictly). */
const strict = new TextDecoder('utf-8', { fatal: true });
const collect = (batches: string[]) => (batch: Uint8Array) => void batches.push(strict.decode(batch));

const isHigh = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

describe('surrogate-safe cutting', () => {
  it('never ends a piece between the halves of a pair', () => {
    const text = 'a😀b😀😀c';
    for (let end = 0; end <= text.length; end++) {
      const cut = safeCutIndex(text, end);
      expect(isHigh(text.charCodeAt(cut - 1)) && cut < text.length).toBe(false);
    }
    for (const size of [2, 3, 4, 5]) {
      const pieces = [...chunkText(text, size)];
      expect(pieces.join('')).toBe(text);
      for (const piece of pieces) {
        expect(piece.length).toBeLessThanOrEqual(size);
        expect(isHigh(piece.charCodeAt(piece.length - 1))).toBe(false);
        expect(isLow(piece.charCodeAt(0))).toBe(false);
      }
    }
  });
});

describe('UTF-8-safe cutting', () => {
  it('never cuts inside a character, and holds back an unfinished last one', () => {
    const text = 'aä€😀中b';
    const all = bytes(text);
    for (let end = 0; end <= all.length; end++) {
      const cut = utf8CutIndex(all, end);
      expect(cut).toBeGreaterThan(0);
      expect(strict.decode(all.subarray(0, cut)) + strict.decode(all.subarray(cut))).toBe(text);
      const prefix = all.subarray(0, end);
      expect(strict.decode(prefix.subarray(0, completeUtf8Length(prefix)))).toBe(
        decodeUtf8(prefix.subarray(0, completeUtf8Length(prefix))),
      );
    }
    const emoji = bytes('😀');
    expect(completeUtf8Length(emoji.subarray(0, 3))).toBe(0);
    expect(completeUtf8Length(emoji)).toBe(4);
    expect(utf8CutIndex(emoji, 2)).toBe(4); // the first character is longer than the room: it goes whole
    expect(completeUtf8Length(Uint8Array.of(0x61, 0xff))).toBe(2); // malformed counts as whole
  });
});

describe('OutputBatcher', () => {
  afterEach(() => void vi.useRealTimers());

  it('coalesces within the interval and flushes at once at the size cap', () => {
    vi.useFakeTimers();
    const batches: string[] = [];
    const batcher = new OutputBatcher(collect(batches), 5, 8);
    batcher.push('ab');
    batcher.push(bytes('cd'));
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(5);
    expect(batches).toEqual(['abcd']);
    batcher.push(bytes('0123456😀89')); // the cap (8 bytes) falls inside the emoji: cut before it
    expect(batches.slice(1)).toEqual(['0123456', '😀89']);
    batcher.dispose();
  });

  it('keeps a character whose bytes came in two reads whole, and ends with whatever is left', () => {
    vi.useFakeTimers();
    const batches: string[] = [];
    const batcher = new OutputBatcher(collect(batches), 5, 1_000);
    const emoji = bytes('x😀');
    batcher.push(emoji.subarray(0, 3)); // 'x' and half the emoji
    vi.advanceTimersByTime(5);
    expect(batches).toEqual(['x']);
    expect(batcher.pendingBytes).toBe(2);
    batcher.push(emoji.subarray(3));
    vi.advanceTimersByTime(5);
    expect(batches).toEqual(['x', '😀']);
    const raw: Uint8Array[] = [];
    const ending = new OutputBatcher((batch) => void raw.push(batch), 5, 1_000);
    ending.push(emoji.subarray(0, 3));
    ending.end(); // the program is gone: the unfinished character goes out as it is
    expect(Buffer.concat(raw)).toEqual(Buffer.from(emoji.subarray(0, 3)));
    batcher.dispose();
  });

  it('delivers the first output after a quiet interval on the next turn, and paces the rest', () => {
    vi.useFakeTimers();
    const batches: string[] = [];
    const batcher = new OutputBatcher(collect(batches), 5, 1_000);
    batcher.push('a');
    batcher.push('b'); // read in the same turn: still one batch
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(0); // the next turn, not the interval
    expect(batches).toEqual(['ab']);
    vi.advanceTimersByTime(1);
    batcher.push('c'); // output keeps coming: at the earliest an interval after the last delivery
    vi.advanceTimersByTime(3);
    expect(batches).toEqual(['ab']);
    vi.advanceTimersByTime(1);
    expect(batches).toEqual(['ab', 'c']);
    vi.advanceTimersByTime(50); // quiet again
    batcher.push('d');
    vi.advanceTimersByTime(0);
    expect(batches).toEqual(['ab', 'c', 'd']);
    batcher.dispose();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('holds output while held and delivers it, in order, when released', () => {
    vi.useFakeTimers();
    const batches: string[] = [];
    const batcher = new OutputBatcher(
      (batch) => {
        batches.push(decodeUtf8(batch));
        if (batches.length === 1) batcher.hold(); // the first delivery causes back-pressure
      },
      5,
      4,
    );
    batcher.push('aaaabbbbcc');
    expect(batches).toEqual(['aaaa']);
    batcher.push('dd');
    vi.advanceTimersByTime(50);
    expect(batches).toEqual(['aaaa']);
    expect(batcher.pendingBytes).toBe(8);
    batcher.release();
    vi.advanceTimersByTime(5);
    expect(batches.join('')).toBe('aaaabbbbccdd');
    batcher.dispose();
  });

  it('paces a flood once per display frame, and goes back to its interval when the output slows', () => {
    vi.useFakeTimers();
    const batches: string[] = [];
    const batcher = new OutputBatcher(collect(batches), 5, 1_000_000);
    batcher.push('x'.repeat(20_000)); // more than anyone reads in 5 ms
    vi.advanceTimersByTime(0);
    expect(batches).toHaveLength(1);
    batcher.push('y');
    vi.advanceTimersByTime(15);
    expect(batches).toHaveLength(1); // a flood: the next batch waits a display frame (16 ms), not 5 ms
    vi.advanceTimersByTime(1);
    expect(batches).toEqual(['x'.repeat(20_000), 'y']);
    batcher.push('z'); // that batch was small: back to 5 ms
    vi.advanceTimersByTime(5);
    expect(batches.at(-1)).toBe('z');
    batcher.dispose();
  });
});

describe('OutputConsumers', () => {
  afterEach(() => void vi.useRealTimers());
  const setup = () => {
    const pressure: boolean[] = [];
    const consumers = new OutputConsumers({ high: 100, low: 10 }, 64, (paused) => pressure.push(paused));
    return { consumers, pressure };
  };

  it('pauses when any consumer is above the high watermark and resumes when all are below the low one', () => {
    const { consumers, pressure } = setup();
    const a = consumers.add({ text: () => undefined }, { flowControl: true });
    const b = consumers.add({ text: () => undefined }, { flowControl: true });
    consumers.deliver(bytes('x'.repeat(60)));
    consumers.deliver(bytes('x'.repeat(60)));
    expect(pressure).toEqual([true]);
    a.ack(120);
    expect(pressure).toEqual([true]); // b is still behind
    b.ack(100);
    expect(b.unacknowledged).toBe(20);
    expect(pressure).toEqual([true]); // 20 is not below the low watermark
    b.ack(11);
    expect(pressure).toEqual([true, false]);
  });

  /** A batcher wired to consumers as TerminalSession wires them: pressure holds it, batches are cut to the room. */
  const wired = (watermarks = { high: 100, low: 50 }) => {
    const holder: { batcher?: OutputBatcher } = {};
    const consumers = new OutputConsumers(watermarks, 1000, (paused) =>
      paused ? holder.batcher!.hold() : holder.batcher!.release(),
    );
    const batcher = new OutputBatcher(
      (batch) => consumers.deliver(batch),
      5,
      1000,
      () => consumers.room(),
    );
    holder.batcher = batcher;
    return { consumers, batcher };
  };

  it('cuts batches to the window: a byte consumer is never more than the high watermark behind, and gets it all', () => {
    vi.useFakeTimers();
    const { consumers, batcher } = wired();
    const pieces: Uint8Array[] = [];
    let mostBehind = 0;
    const viewer = consumers.add(
      {
        bytes: (piece) => {
          pieces.push(piece.slice());
          mostBehind = Math.max(mostBehind, viewer.unacknowledged);
        },
      },
      { flowControl: true },
    );
    const sent = 'a'.repeat(150) + 'ä'.repeat(100); // 350 bytes
    batcher.push(bytes(sent));
    batcher.flush();
    expect(pieces.map((p) => p.length)).toEqual([100]); // exactly the window, then the producer pauses
    expect(consumers.isPaused).toBe(true);
    for (let turn = 0; turn < 10 && consumers.isPaused; turn++) {
      viewer.ack(viewer.unacknowledged); // rendered: the window opens again
      vi.advanceTimersByTime(20);
    }
    expect(mostBehind).toBe(100);
    expect(pieces.map((p) => strict.decode(p)).join('')).toBe(sent); // every piece whole characters, nothing lost
  });

  it('stops a text consumer short of the window rather than sending it ever smaller pieces', () => {
    vi.useFakeTimers();
    const { consumers, batcher } = wired();
    const pieces: string[] = [];
    const viewer = consumers.add({ text: (piece) => pieces.push(piece) }, { flowControl: true });
    const sent = 'ä'.repeat(300); // two bytes a character: the window, in characters, fills more slowly than in bytes
    batcher.push(bytes(sent));
    batcher.flush();
    expect(pieces.length).toBeLessThanOrEqual(4);
    expect(viewer.unacknowledged).toBeLessThanOrEqual(100);
    expect(viewer.unacknowledged).toBeGreaterThan(75); // within a quarter of full: paused
    expect(consumers.isPaused).toBe(true);
    for (let turn = 0; turn < 30 && pieces.join('').length < sent.length; turn++) {
      viewer.ack(viewer.unacknowledged);
      vi.advanceTimersByTime(20);
    }
    expect(pieces.join('')).toBe(sent);
  });

  it('with a low watermark close to the high one, resuming still leaves room to send (no stall, no unbounded batch)', () => {
    vi.useFakeTimers();
    const { consumers, batcher } = wired({ high: 100, low: 90 });
    const viewer = consumers.add({ bytes: () => undefined }, { flowControl: true });
    batcher.push(bytes('x'.repeat(500)));
    batcher.flush();
    expect(viewer.unacknowledged).toBe(100);
    expect(consumers.isPaused).toBe(true);
    viewer.ack(15); // 85 behind: below the low watermark, so the program resumes...
    vi.advanceTimersByTime(20);
    expect(viewer.unacknowledged).toBe(100); // ...and what fits goes out, which fills the window and pauses it again
    expect(consumers.isPaused).toBe(true);
    expect(batcher.pendingBytes).toBe(385);
  });

  it('releases a detached consumer’s credit and ignores consumers without flow control', () => {
    const { consumers, pressure } = setup();
    const internal = consumers.add({ text: () => undefined }, { flowControl: false });
    const slow = consumers.add({ text: () => undefined }, { flowControl: true });
    consumers.deliver(bytes('x'.repeat(200)));
    expect(internal.unacknowledged).toBe(0);
    expect(pressure).toEqual([true]);
    slow.detach();
    expect(pressure).toEqual([true, false]);
    expect(() => slow.ack(-1)).toThrow(/non-negative/);
  });

  it('keeps delivering to the others when one consumer throws', () => {
    const { consumers } = setup();
    const seen: string[] = [];
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    consumers.add(
      {
        text: () => {
          throw new Error('broken');
        },
      },
      { flowControl: false },
    );
    consumers.add({ text: (data) => void seen.push(data) }, { flowControl: false });
    consumers.deliver(bytes('hello'));
    expect(seen).toEqual(['hello']);
    expect(error).toHaveBeenCalledOnce();
    error.mockRestore();
  });

  it('starts a consumer with a replay exactly where the replay ends', async () => {
    const { consumers } = setup();
    const seen: string[] = [];
    let resolveReplay!: (text: string) => void;
    const consumer = consumers.add(
      { text: (data) => void seen.push(data) },
      {
        flowControl: true,
        replay: new Promise((resolve) => (resolveReplay = resolve)),
      },
    );
    consumers.deliver(bytes('after-1 '));
    consumers.deliver(bytes('after-2'));
    expect(seen).toEqual([]);
    resolveReplay('REPLAY');
    expect(await consumer.replay).toBe('REPLAY');
    expect(seen).toEqual([]); // live output begins in a later turn, after whoever awaited the replay
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.join('')).toBe('after-1 after-2');
    expect(consumer.unacknowledged).toBe(15);
  });

  it('counts characters for a text consumer and bytes for a byte consumer, from the same batches', () => {
    const { consumers } = setup();
    const texts: string[] = [];
    const raw: Uint8Array[] = [];
    const text = consumers.add({ text: (data) => void texts.push(data) }, { flowControl: true });
    const binary = consumers.add({ bytes: (data) => void raw.push(data) }, { flowControl: true });
    const batch = bytes('€😀'); // 3 characters (UTF-16), 7 bytes
    consumers.deliver(batch);
    expect(texts).toEqual(['€😀']);
    expect(raw).toEqual([batch]);
    expect(text.unacknowledged).toBe(3);
    expect(binary.unacknowledged).toBe(7);
  });
});
