import { safeCutIndex } from './text.js';

/**
 * Coalesces pty output into batches of at most maxChars that never split a surrogate pair. The first output after
 * a quiet interval goes out on the next turn of the event loop (a keystroke's echo must not wait for a timer); while
 * output keeps coming, deliveries are at least intervalMs apart, or at once when maxChars have gathered. While held
 * (flow control), output gathers and nothing is delivered.
 */
export class OutputBatcher {
  private chunks: string[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  /** When the last delivery went out (performance.now()); -Infinity before the first. */
  private lastFlush = -Infinity;
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

  push(data: string): void {
    if (this.disposed || data.length === 0) return;
    this.chunks.push(data);
    this.size += data.length;
    if (this.held) return;
    if (this.size >= this.maxChars) this.flush();
    else this.schedule();
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
    const text = this.chunks.length === 1 ? this.chunks[0]! : this.chunks.join('');
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
    const wait = this.lastFlush + this.intervalMs - performance.now();
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
