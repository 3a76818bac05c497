import { HabitatError } from '../../shared/protocol/index.js';
import { chunkText } from './text.js';
import { decodeUtf8 } from './utf8.js';

/**
 * A consumer's handle: it acknowledges output once it has rendered it, and detaches when done. Amounts are in the
 * units it is given: characters for a text consumer, bytes for a byte consumer.
 */
export interface TerminalConsumer {
  /** Output delivered and not yet acknowledged (0 for a consumer without flow control). */
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
  /** At most this many characters unacknowledged (see room()); the pty pauses when a consumer is about there. */
  high: number;
  /** Resume it when every consumer is below this. */
  low: number;
}

/** How a consumer takes output: decoded (one decoding per batch, shared by all text consumers), or as bytes. */
export type ConsumerCallback =
  { readonly text: (data: string) => void } | { readonly bytes: (data: Uint8Array) => void };

interface Entry {
  readonly callback: ConsumerCallback;
  readonly flowControl: boolean;
  unacknowledged: number;
  /** Output that arrived before the consumer's replay was ready; null once live. */
  queued: Uint8Array[] | null;
}

/**
 * The consumers attached to one terminal, with credit-based flow control: every consumer gets every batch (whole UTF-8
 * characters, see OutputBatcher), and
 * `onPressure(true)` asks the producer to pause once any flow-controlled consumer is (nearly) the high watermark
 * behind, `onPressure(false)` to resume once all are below the low one.
 */
export class OutputConsumers {
  private readonly entries = new Set<Entry>();
  private paused = false;
  /** With less room than this the window counts as full: pieces cut to fit would be tiny. */
  private readonly minRoom: number;

  constructor(
    private readonly watermarks: Watermarks,
    private readonly maxBatchChars: number,
    private readonly onPressure: (paused: boolean) => void,
  ) {
    // never more than the hysteresis: resuming below the low watermark must leave room to send
    const { high, low } = watermarks;
    this.minRoom = Math.max(1, Math.min(16_384, Math.floor(high / 4), high - low));
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * How many bytes may be sent now: the high watermark less what the furthest-behind flow-controlled consumer has not
   * acknowledged (in its units: a text consumer's characters are never more than their bytes), or 0 once that is
   * nearly nothing, which is also when the producer is paused. Batches are cut to it, so no consumer is ever more
   * than the high watermark behind.
   */
  room(): number {
    const room = this.watermarks.high - this.furthestBehind();
    return room >= this.minRoom ? room : 0;
  }

  /** Attaches a consumer. With a replay, output is queued for it until the replay has resolved. */
  add(
    callback: ConsumerCallback,
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

  deliver(batch: Uint8Array): void {
    let text: string | undefined;
    for (const entry of [...this.entries]) {
      if (entry.queued) entry.queued.push(batch);
      else if ('bytes' in entry.callback) this.send(entry, batch);
      else this.send(entry, (text ??= decodeUtf8(batch)));
    }
    this.evaluate();
  }

  clear(): void {
    this.entries.clear();
    this.paused = false;
  }

  private goLive(entry: Entry): void {
    const queued = entry.queued;
    if (!queued) return;
    entry.queued = null;
    if ('bytes' in entry.callback) {
      for (const batch of queued) if (this.entries.has(entry)) this.send(entry, batch);
    } else {
      // in batch-sized pieces, like live output
      const text = queued.map(decodeUtf8).join('');
      for (const piece of chunkText(text, this.maxBatchChars)) {
        if (this.entries.has(entry)) this.send(entry, piece);
      }
    }
    this.evaluate();
  }

  private send(entry: Entry, data: string | Uint8Array): void {
    if (entry.flowControl) entry.unacknowledged += data.length;
    try {
      if ('bytes' in entry.callback) entry.callback.bytes(data as Uint8Array);
      else entry.callback.text(data as string);
    } catch (error) {
      // one broken consumer must not stop delivery to the others
      console.error('[pty] terminal consumer threw:', error);
    }
  }

  /** What the flow-controlled consumer furthest behind has not acknowledged (one whose replay is pending has none). */
  private furthestBehind(): number {
    let behind = 0;
    for (const entry of this.entries) if (entry.flowControl) behind = Math.max(behind, entry.unacknowledged);
    return behind;
  }

  /** Pauses the producer when the window is full (room() is 0), resumes it once all are below the low watermark. */
  private evaluate(): void {
    const behind = this.furthestBehind();
    if (!this.paused && this.watermarks.high - behind < this.minRoom) {
      this.paused = true;
      this.onPressure(true);
    } else if (this.paused && behind < this.watermarks.low) {
      this.paused = false;
      this.onPressure(false);
    }
  }
}
