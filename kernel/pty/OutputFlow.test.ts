import { afterEach, describe, expect, it, vi } from 'vitest';
import { OutputBatcher } from './OutputBatcher.js';
import { OutputConsumers } from './OutputConsumers.js';
import { chunkText, safeCutIndex } from './text.js';

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

describe('OutputBatcher', () => {
  afterEach(() => void vi.useRealTimers());

  it('coalesces within the interval and flushes at once at the size cap', () => {
    vi.useFakeTimers();
    const batches: string[] = [];
    const batcher = new OutputBatcher((batch) => batches.push(batch), 5, 8);
    batcher.push('ab');
    batcher.push('cd');
    expect(batches).toEqual([]);
    vi.advanceTimersByTime(5);
    expect(batches).toEqual(['abcd']);
    batcher.push('0123456😀89'); // the cap (8) falls inside the emoji: cut before it
    expect(batches.slice(1)).toEqual(['0123456', '😀89']);
    batcher.dispose();
  });

  it('delivers the first output after a quiet interval on the next turn, and paces the rest', () => {
    vi.useFakeTimers();
    const batches: string[] = [];
    const batcher = new OutputBatcher((batch) => batches.push(batch), 5, 1_000);
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
        batches.push(batch);
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
    expect(batcher.pendingChars).toBe(8);
    batcher.release();
    vi.advanceTimersByTime(5);
    expect(batches.join('')).toBe('aaaabbbbccdd');
    batcher.dispose();
  });

  it('paces a flood once per display frame, and goes back to its interval when the output slows', () => {
    vi.useFakeTimers();
    const batches: string[] = [];
    const batcher = new OutputBatcher((batch) => batches.push(batch), 5, 1_000_000);
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
  const setup = () => {
    const pressure: boolean[] = [];
    const consumers = new OutputConsumers({ high: 100, low: 10 }, 64, (paused) => pressure.push(paused));
    return { consumers, pressure };
  };

  it('pauses when any consumer is above the high watermark and resumes when all are below the low one', () => {
    const { consumers, pressure } = setup();
    const a = consumers.add(() => undefined, { flowControl: true });
    const b = consumers.add(() => undefined, { flowControl: true });
    consumers.deliver('x'.repeat(60));
    consumers.deliver('x'.repeat(60));
    expect(pressure).toEqual([true]);
    a.ack(120);
    expect(pressure).toEqual([true]); // b is still behind
    b.ack(100);
    expect(b.unacknowledged).toBe(20);
    expect(pressure).toEqual([true]); // 20 is not below the low watermark
    b.ack(11);
    expect(pressure).toEqual([true, false]);
  });

  it('releases a detached consumer’s credit and ignores consumers without flow control', () => {
    const { consumers, pressure } = setup();
    const internal = consumers.add(() => undefined, { flowControl: false });
    const slow = consumers.add(() => undefined, { flowControl: true });
    consumers.deliver('x'.repeat(200));
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
      () => {
        throw new Error('broken');
      },
      { flowControl: false },
    );
    consumers.add((data) => seen.push(data), { flowControl: false });
    consumers.deliver('hello');
    expect(seen).toEqual(['hello']);
    expect(error).toHaveBeenCalledOnce();
    error.mockRestore();
  });

  it('starts a consumer with a replay exactly where the replay ends', async () => {
    const { consumers } = setup();
    const seen: string[] = [];
    let resolveReplay!: (text: string) => void;
    const consumer = consumers.add((data) => seen.push(data), {
      flowControl: true,
      replay: new Promise((resolve) => (resolveReplay = resolve)),
    });
    consumers.deliver('after-1 ');
    consumers.deliver('after-2');
    expect(seen).toEqual([]);
    resolveReplay('REPLAY');
    expect(await consumer.replay).toBe('REPLAY');
    expect(seen).toEqual([]); // live output begins in a later turn, after whoever awaited the replay
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.join('')).toBe('after-1 after-2');
    expect(consumer.unacknowledged).toBe(15);
  });
});
