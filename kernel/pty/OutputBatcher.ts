import { safeCutIndex } from './text.js';

/**
 * Coalesces pty output: one delivery per interval, or at once when maxChars have gathered, in batches of at most
 * maxChars that never split a surrogate pair. While held (flow control), output gathers and nothing is delivered.
 */
export class OutputBatcher {
  private chunks: string[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
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
    else this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  hold(): void {
    this.held = true;
    this.clearTimer();
  }

  release(): void {
    this.held = false;
    if (this.size > 0) this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  /** Delivers what has gathered, batch by batch, stopping early if a delivery causes a hold. */
  flush(): void {
    this.clearTimer();
    if (this.held || this.size === 0) return;
    const text = this.chunks.length === 1 ? this.chunks[0]! : this.chunks.join('');
    this.chunks = [];
    this.size = 0;
    let start = 0;
    while (start < text.length && !this.held && !this.disposed) {
      const end = safeCutIndex(text, start + this.maxChars);
      this.deliver(text.slice(start, end));
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
    this.clearTimer();
    this.chunks = [];
    this.size = 0;
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
