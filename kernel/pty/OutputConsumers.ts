import { HabitatError } from '../../shared/protocol/index.js';
import { chunkText } from './text.js';

/** A consumer's handle: it acknowledges characters once it has rendered them, and detaches when done. */
export interface TerminalConsumer {
  /** Characters delivered and not yet acknowledged (0 for a consumer without flow control). */
  readonly unacknowledged: number;
  /**
   * With AttachOptions.replay: what reproduces the screen as of the moment of attaching. The consumer's live output
   * continues exactly where it ends, and begins only after it has resolved, in a later turn of the event loop (so a
   * request handler can answer with the replay before the first live output goes out).
   */
  readonly replay: Promise<string> | undefined;
  ack(chars: number): void;
  detach(): void;
}

export interface Watermarks {
  /** Pause the pty when any consumer has more than this many characters unacknowledged. */
  high: number;
  /** Resume it when every consumer is below this. */
  low: number;
}

interface Entry {
  readonly callback: (data: string) => void;
  readonly flowControl: boolean;
  unacknowledged: number;
  /** Output that arrived before the consumer's replay was ready; null once live. */
  queued: string[] | null;
}

/**
 * The consumers attached to one terminal, with credit-based flow control: every consumer gets every batch, and
 * `onPressure(true)` asks the producer to pause while any flow-controlled consumer is behind by more than the high
 * watermark, `onPressure(false)` to resume once all are below the low one.
 */
export class OutputConsumers {
  private readonly entries = new Set<Entry>();
  private paused = false;

  constructor(
    private readonly watermarks: Watermarks,
    private readonly maxBatchChars: number,
    private readonly onPressure: (paused: boolean) => void,
  ) {}

  get isPaused(): boolean {
    return this.paused;
  }

  /** Attaches a consumer. With a replay, output is queued for it until the replay has resolved. */
  add(
    callback: (data: string) => void,
    options: { flowControl: boolean; replay?: Promise<string> },
  ): TerminalConsumer {
    const entry: Entry = {
      callback,
      flowControl: options.flowControl,
      unacknowledged: 0,
      queued: options.replay ? [] : null,
    };
    this.entries.add(entry);
    const goLive = (): void => void setImmediate(() => this.goLive(entry));
    options.replay?.then(goLive, goLive);
    return {
      replay: options.replay,
      get unacknowledged() {
        return entry.unacknowledged;
      },
      ack: (chars) => {
        if (!Number.isFinite(chars) || chars < 0) {
          throw new HabitatError('E_INVALID', 'ack takes a non-negative number of characters');
        }
        if (!this.entries.has(entry) || !entry.flowControl) return;
        entry.unacknowledged = Math.max(0, entry.unacknowledged - chars);
        this.evaluate();
      },
      detach: () => {
        if (this.entries.delete(entry)) this.evaluate();
      },
    };
  }

  deliver(data: string): void {
    for (const entry of [...this.entries]) {
      if (entry.queued) entry.queued.push(data);
      else this.send(entry, data);
    }
    this.evaluate();
  }

  clear(): void {
    this.entries.clear();
    this.paused = false;
  }

  private goLive(entry: Entry): void {
    if (!entry.queued) return;
    const text = entry.queued.join('');
    entry.queued = null;
    // in batch-sized pieces, like live output
    for (const piece of chunkText(text, this.maxBatchChars)) {
      if (this.entries.has(entry)) this.send(entry, piece);
    }
    this.evaluate();
  }

  private send(entry: Entry, data: string): void {
    if (entry.flowControl) entry.unacknowledged += data.length;
    try {
      entry.callback(data);
    } catch (error) {
      // one broken consumer must not stop delivery to the others
      console.error('[pty] terminal consumer threw:', error);
    }
  }

  private evaluate(): void {
    let anyAboveHigh = false;
    let allBelowLow = true;
    for (const entry of this.entries) {
      if (!entry.flowControl) continue;
      if (entry.unacknowledged > this.watermarks.high) anyAboveHigh = true;
      if (entry.unacknowledged >= this.watermarks.low) allBelowLow = false;
    }
    if (!this.paused && anyAboveHigh) {
      this.paused = true;
      this.onPressure(true);
    } else if (this.paused && allBelowLow) {
      this.paused = false;
      this.onPressure(false);
    }
  }
}
