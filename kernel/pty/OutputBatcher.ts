import { completeUtf8Length, concatBytes, utf8CutIndex } from './utf8.js';

/**
 * A batch this large means output comes faster than anyone reads (over 3 MB/s at a 5 ms interval): the next one
 * then waits a display frame (FLOOD_INTERVAL_MS) instead. Fewer, larger batches carry a flood with fewer messages,
 * acknowledgements and wake-ups of the host and its viewers, and a screen shows no more than one per frame anyway.
 */
const FLOOD_BATCH_BYTES = 16_384;
const FLOOD_INTERVAL_MS = 16;

/**
 * Coalesces pty output into batches of UTF-8 bytes, at most maxBytes each, that never split a character (a character
 * whose bytes are not all there yet waits for the next batch, or for end()). The first output after a quiet interval
 * goes out on the next turn of the event loop (a keystroke's echo must not wait for a timer); while output keeps
 * coming, deliveries are at least intervalMs apart (a display frame apart during a flood, see FLOOD_BATCH_BYTES), or
 * at once when maxBytes have gathered. While held (flow control), output gathers and nothing is delivered.
 *
 * Output stays bytes: joined once per batch (a pty gives at most 4 KiB a read), never decoded here. A batch is memory
 * of its own, which the consumers and the headless screen may keep.
 */
export class OutputBatcher {
  /** Bytes not delivered yet, in order. */
  private chunks: Uint8Array[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** When the last delivery went out (performance.now()); -Infinity before the first. */
  private lastFlush = -Infinity;
  /** How much it delivered: a large one means a flood. */
  private lastFlushBytes = 0;
  private held = false;
  private ended = false;
  private disposed = false;

  /**
   * `room` says how many more bytes the consumers may be sent now (flow control's window): a batch is cut to it, so
   * what is on its way to a viewer never exceeds the window, however large batches may be.
   */
  constructor(
    private readonly deliver: (batch: Uint8Array) => void,
    private readonly intervalMs: number,
    private readonly maxBytes: number,
    private readonly room: () => number = () => Infinity,
  ) {}

  get pendingBytes(): number {
    return this.size;
  }

  /** Output as read; text (from a spawner that only has text) is encoded as UTF-8. */
  push(data: string | Uint8Array): void {
    if (this.disposed || data.length === 0) return;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    // what has gathered goes first if this would take it past maxBytes: batches stay whole, at most maxBytes
    if (!this.held && this.size > 0 && this.size + bytes.length > this.maxBytes) this.flush();
    this.chunks.push(bytes);
    this.size += bytes.length;
    if (this.held) return;
    if (this.size >= this.maxBytes) this.flush();
    else this.schedule();
  }

  /** The output has ended: delivers what has gathered, an unfinished character included (decoders make it U+FFFD). */
  end(): void {
    this.ended = true;
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
    const all = concatBytes(this.chunks, this.size);
    const whole = this.ended ? all.length : completeUtf8Length(all);
    this.chunks = whole < all.length ? [all.subarray(whole)] : [];
    this.size = all.length - whole;
    if (whole === 0) return; // only the start of a character so far
    this.lastFlush = performance.now();
    this.lastFlushBytes = whole;
    let start = 0;
    while (start < whole && !this.held && !this.disposed) {
      // no room is a full window, which has paused the producer and held this batcher too: its release flushes
      const room = Math.min(this.maxBytes, this.room());
      if (room <= 0) break;
      const end = start + room >= whole ? whole : utf8CutIndex(all, start + room, start);
      this.deliver(start === 0 && end === all.length ? all : all.subarray(start, end));
      start = end;
    }
    if (start < whole && !this.disposed) {
      // held mid-flush: keep the rest, in order, ahead of anything pushed during the deliveries
      this.chunks.unshift(all.subarray(start, whole));
      this.size += whole - start;
    }
  }

  dispose(): void {
    this.disposed = true;
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
      this.lastFlushBytes >= FLOOD_BATCH_BYTES
        ? Math.max(this.intervalMs, FLOOD_INTERVAL_MS)
        : this.intervalMs;
    const wait = this.lastFlush + interval - performance.now();
    if (wait <= 0) this.immediate = setImmediate(() => this.flush());
    else this.timer = setTimeout(() => this.flush(), Math.ceil(wait));
  }

  private clearSchedule(): void {
    clearTimeout(this.timer);
    clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }
}
