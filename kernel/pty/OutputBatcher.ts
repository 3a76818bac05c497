import { StringDecoder } from 'node:string_decoder';
import { safeCutIndex } from './text.js';

/**
 * A batch this large means output comes faster than anyone reads (over 3 MB/s at a 5 ms interval): the next one
 * then waits a display frame (FLOOD_INTERVAL_MS) instead. Fewer, larger batches carry a flood with fewer messages,
 * acknowledgements and wake-ups of the host and its viewers, and a screen shows no more than one per frame anyway.
 */
const FLOOD_BATCH_CHARS = 16_384;
const FLOOD_INTERVAL_MS = 16;

/**
 * Where a batch's bytes are put together to be decoded, shared by every batcher (decoding is synchronous): a fresh
 * buffer per batch would be memory the system maps and zeroes anew, page by page, each time.
 */
let scratch = Buffer.allocUnsafe(0);

function joined(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  if (scratch.length < length) scratch = Buffer.allocUnsafe(Math.max(length, 131_072));
  let at = 0;
  for (const chunk of chunks) {
    scratch.set(chunk, at);
    at += chunk.length;
  }
  return scratch.subarray(0, length);
}

/**
 * Coalesces pty output into batches of at most maxChars that never split a surrogate pair. The first output after
 * a quiet interval goes out on the next turn of the event loop (a keystroke's echo must not wait for a timer); while
 * output keeps coming, deliveries are at least intervalMs apart (a display frame apart during a flood, see
 * FLOOD_BATCH_CHARS), or at once when maxChars have gathered. While held (flow control), output gathers and nothing
 * is delivered.
 *
 * Output may come as text or as UTF-8 bytes. Bytes are decoded once per batch rather than once per read (a pty
 * gives at most 4 KiB a read), which spares a decoding and a string per read; a character whose bytes are not all
 * there yet waits for the next batch, or for end().
 */
export class OutputBatcher {
  /** Text, and bytes not decoded yet, in order; `size` counts characters of the one and bytes of the other. */
  private chunks: (string | Uint8Array)[] = [];
  private readonly decoder = new StringDecoder('utf8');
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** When the last delivery went out (performance.now()); -Infinity before the first. */
  private lastFlush = -Infinity;
  /** How much it delivered: a large one means a flood. */
  private lastFlushChars = 0;
  private held = false;
  private disposed = false;

  constructor(
    private readonly deliver: (batch: string) => void,
    private readonly intervalMs: number,
    private readonly maxChars: number,
  ) {}

  get pendingChars(): number {
    return this.size;
  }

  push(data: string | Uint8Array): void {
    if (this.disposed || data.length === 0) return;
    // what has gathered goes first if this would take it past maxChars: batches stay whole, at most maxChars
    if (!this.held && this.size > 0 && this.size + data.length > this.maxChars) this.flush();
    this.chunks.push(data);
    this.size += data.length;
    if (this.held) return;
    if (this.size >= this.maxChars) this.flush();
    else this.schedule();
  }

  /** The output has ended: delivers what has gathered, with an unfinished character as U+FFFD. */
  end(): void {
    const rest = this.decoder.end();
    if (rest) this.push(rest);
    this.flush();
  }

  hold(): void {
    this.held = true;
    this.clearSchedule();
  }

  release(): void {
    this.held = false;
    if (this.size > 0) this.schedule();
  }

  /** Delivers what has gathered, batch by batch, stopping early if a delivery causes a hold. */
  flush(): void {
    this.clearSchedule();
    if (this.held || this.size === 0) return;
    this.lastFlush = performance.now();
    this.lastFlushChars = this.size;
    const text = this.decode(this.chunks);
    this.chunks = [];
    this.size = 0;
    let start = 0;
    while (start < text.length && !this.held && !this.disposed) {
      const end = safeCutIndex(text, start + this.maxChars);
      this.deliver(start === 0 && end === text.length ? text : text.slice(start, end));
      start = end;
    }
    if (start < text.length && !this.disposed) {
      // held mid-flush: keep the rest, in order, ahead of anything pushed during the deliveries
      const rest = text.slice(start);
      this.chunks.unshift(rest);
      this.size += rest.length;
    }
  }

  dispose(): void {
    this.disposed = true;
    this.decoder.end();
    this.clearSchedule();
    this.chunks = [];
    this.size = 0;
  }

  /**
   * After a quiet interval: on the next turn (setImmediate), which still gathers everything read from the pty in
   * this turn; otherwise when the interval since the last delivery is up.
   */
  private schedule(): void {
    if (this.timer !== undefined || this.immediate !== undefined) return;
    const interval =
      this.lastFlushChars >= FLOOD_BATCH_CHARS
        ? Math.max(this.intervalMs, FLOOD_INTERVAL_MS)
        : this.intervalMs;
    const wait = this.lastFlush + interval - performance.now();
    if (wait <= 0) this.immediate = setImmediate(() => this.flush());
    else this.timer = setTimeout(() => this.flush(), Math.ceil(wait));
  }

  /** The gathered output as one text: bytes in one piece where there are only bytes, as a flood brings them. */
  private decode(chunks: (string | Uint8Array)[]): string {
    if (chunks.every((chunk) => typeof chunk !== 'string')) return this.decoder.write(joined(chunks));
    return chunks.map((chunk) => (typeof chunk === 'string' ? chunk : this.decoder.write(chunk))).join('');
  }

  private clearSchedule(): void {
    clearTimeout(this.timer);
    clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }
}
