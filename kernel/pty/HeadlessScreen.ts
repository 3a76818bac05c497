import xtermHeadless from '@xterm/headless';
import type { Terminal as XtermTerminal } from '@xterm/headless';
import { HabitatError } from '../../shared/protocol/index.js';
import { serializeScreen } from './serializeScreen.js';
import { safeCutIndex } from './text.js';

// @xterm/headless is CommonJS that Node cannot name-import
const { Terminal } = xtermHeadless;

const disposedError = (): HabitatError => new HabitatError('E_CONFLICT', 'the terminal session is disposed');

/** Cancels any half-parsed sequence (CAN) and resets the pen, after output was dropped. */
const RESYNC = '\x18\x1b[0m';
/**
 * In a flood, the pause between slices: parsing output that will mostly be dropped gets a few percent of the event
 * loop instead of a third of it. Longer than the batch interval, so a pause that sees no new output ends the flood.
 */
const FLOOD_SLICE_GAP_MS = 10;

export interface ScreenSnapshot {
  cols: number;
  rows: number;
  /** Zero-based, within the visible screen. */
  cursor: { x: number; y: number };
  /** The visible screen, one string per row, trimmed right. */
  lines: string[];
  /** Whether a full-screen program has switched to the alternate screen. */
  alternate: boolean;
}

export interface HeadlessScreenOptions {
  cols: number;
  rows: number;
  scrollback: number;
  /** Output waiting to be parsed above this many characters is a flood: the oldest is dropped (default 1 MiB)... */
  maxBacklogChars?: number;
  /** ...down to this many (default 256 KiB). */
  keepChars?: number;
  /** xterm parses at most this many characters per turn of the event loop (default 16 KiB). */
  sliceChars?: number;
}

/** Something to do once the output before it has been parsed: a read, a resize. */
type Action = () => void;

/**
 * An xterm.js terminal without a view, fed with a session's output. It never slows the session down: xterm parses
 * more slowly than a pty can produce, so output waits here, and is parsed in small slices, one per turn of the event
 * loop, so that parsing never holds up other terminals' I/O.
 *
 * The trade-off: when a flood outruns the parser by more than maxBacklogChars, the oldest unparsed output is dropped,
 * keeping the latest keepChars from a line start; the parser is resynchronised there (a half-parsed sequence is
 * cancelled, the pen reset, the cursor put at a line start) while the buffer, scrollback, alternate screen and modes
 * stay as they were. So screen() and replay() are exact for anything but a flood, and during one show its tail,
 * which is what a viewer of a flood would see anyway. Every read is queued behind the output written before it, so
 * it sees exactly that output, less what a flood made us drop.
 */
export class HeadlessScreen {
  private readonly terminal: XtermTerminal;
  private readonly maxBacklogChars: number;
  private readonly keepChars: number;
  private readonly sliceChars: number;
  /** Output not yet handed to xterm, and the actions queued behind it, in order. */
  private queue: (string | Action)[] = [];
  private backlogChars = 0;
  /** A slice is with xterm: nothing else is handed over until it has been parsed. */
  private parsing = false;
  private nextSlice: NodeJS.Immediate | undefined;
  private floodGap: NodeJS.Timeout | undefined;
  /** Output was dropped: resynchronise the parser before the next slice. */
  private resync = false;
  /** Output comes faster than it is parsed (some was dropped): slices are spaced out, unless a read waits. */
  private flooding = false;
  private wroteDuringGap = false;
  private cursorHidden = false;
  private disposed = false;
  /** Reads not answered yet: a disposed terminal parses nothing more, so dispose() fails them. */
  private readonly pendingReads = new Set<(error: Error) => void>();

  constructor(options: HeadlessScreenOptions) {
    const { cols, rows, scrollback } = options;
    this.maxBacklogChars = options.maxBacklogChars ?? 1_048_576;
    this.keepChars = Math.min(options.keepChars ?? 262_144, this.maxBacklogChars);
    this.sliceChars = Math.max(2, options.sliceChars ?? 16_384);
    this.terminal = new Terminal({ cols, rows, scrollback, allowProposedApi: true });
    // cursor visibility (DECTCEM) is not in xterm's public modes: track it for the replay, leaving xterm to act too
    const { parser } = this.terminal;
    parser.registerCsiHandler({ prefix: '?', final: 'h' }, (params) => this.trackCursor(params, false));
    parser.registerCsiHandler({ prefix: '?', final: 'l' }, (params) => this.trackCursor(params, true));
    parser.registerEscHandler({ final: 'c' }, () => {
      this.cursorHidden = false; // a full reset (RIS) shows the cursor again
      return false;
    });
  }

  /** Characters written and not yet parsed. */
  get backlog(): number {
    return this.backlogChars;
  }

  write(data: string): void {
    if (process.env.NOSCREEN) return;
    if (this.disposed || data.length === 0) return;
    this.queue.push(data);
    this.backlogChars += data.length;
    this.wroteDuringGap = true;
    if (this.backlogChars > this.maxBacklogChars) this.dropOldest();
    this.pump();
  }

  /** Takes effect in stream order: output written before it is parsed at the old size. */
  resize(cols: number, rows: number): void {
    if (this.disposed) return;
    this.queue.push(() => this.terminal.resize(cols, rows));
    this.pump();
  }

  /** Resolves once everything written so far has been parsed. */
  settled(): Promise<void> {
    return this.read(() => undefined);
  }

  snapshot(): Promise<ScreenSnapshot> {
    return this.read(() => {
      const { cols, rows } = this.terminal;
      const buffer = this.terminal.buffer.active;
      const lines: string[] = [];
      for (let y = 0; y < rows; y++)
        lines.push(buffer.getLine(buffer.baseY + y)?.translateToString(true) ?? '');
      return {
        cols,
        rows,
        cursor: { x: buffer.cursorX, y: buffer.cursorY },
        lines,
        alternate: buffer.type === 'alternate',
      };
    });
  }

  replay(): Promise<string> {
    return this.read(() => serializeScreen(this.terminal, this.cursorHidden));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearImmediate(this.nextSlice);
    clearTimeout(this.floodGap);
    this.queue = [];
    this.backlogChars = 0;
    this.terminal.dispose();
    for (const fail of this.pendingReads) fail(disposedError());
    this.pendingReads.clear();
  }

  /** Runs `reader` once the output before it has been parsed, before any later output is. */
  private read<T>(reader: () => T): Promise<T> {
    return new Promise((resolve, reject) => {
      if (this.disposed) return reject(disposedError());
      this.pendingReads.add(reject);
      this.queue.push(() => {
        if (!this.pendingReads.delete(reject)) return;
        try {
          resolve(reader());
        } catch (error) {
          reject(error);
        }
      });
      if (this.floodGap !== undefined) {
        // a reader is waiting: parse up to it at full pace
        clearTimeout(this.floodGap);
        this.floodGap = undefined;
        this.scheduleSlice();
      } else {
        this.pump();
      }
    });
  }

  /** Runs the actions that are due and hands xterm the next slice, unless it is still parsing one. */
  private pump(): void {
    if (this.parsing || this.nextSlice !== undefined || this.floodGap !== undefined || this.disposed) return;
    while (typeof this.queue[0] === 'function') (this.queue.shift() as Action)();
    if (this.queue.length === 0 || this.disposed) return;
    this.parsing = true;
    this.terminal.write(this.takeSlice(), () => {
      this.parsing = false;
      if (!this.disposed) this.scheduleSlice();
    });
  }

  /**
   * Never straight from xterm's callback: what is written there is parsed in the same turn, without yielding. In a
   * flood, after a pause; a pause without new output ends the flood.
   */
  private scheduleSlice(): void {
    if (this.queue.length === 0) {
      this.flooding = false;
    } else if (this.flooding && this.pendingReads.size === 0) {
      this.wroteDuringGap = false;
      this.floodGap = setTimeout(() => {
        this.floodGap = undefined;
        if (!this.wroteDuringGap) this.flooding = false;
        this.pump();
      }, FLOOD_SLICE_GAP_MS);
    } else {
      this.nextSlice = setImmediate(() => {
        this.nextSlice = undefined;
        this.pump();
      });
    }
  }

  /** Up to sliceChars of the queued output, never splitting a surrogate pair, stopping at an action. */
  private takeSlice(): string {
    let slice = '';
    if (this.resync) {
      this.resync = false;
      // everything before was parsed, so the cursor is where the kept output must continue from a line start
      slice = RESYNC + (this.terminal.buffer.active.cursorX > 0 ? '\r\n' : '');
    }
    let taken = 0;
    while (typeof this.queue[0] === 'string') {
      const room = this.sliceChars - taken;
      const text = this.queue[0];
      if (text.length <= room) {
        this.queue.shift();
      } else {
        const cut = room >= 2 ? safeCutIndex(text, room) : 0;
        if (cut === 0) break;
        this.queue[0] = text.slice(cut);
        slice += text.slice(0, cut);
        taken += cut;
        break;
      }
      slice += text;
      taken += text.length;
    }
    this.backlogChars -= taken;
    return slice;
  }

  /** A flood: drops the oldest unparsed output, keeping about keepChars from a line start, and every action. */
  private dropOldest(): void {
    let excess = this.backlogChars - this.keepChars;
    const kept: (string | Action)[] = [];
    for (const item of this.queue) {
      if (typeof item !== 'string' || excess <= 0) {
        kept.push(item);
        continue;
      }
      if (item.length <= excess) {
        excess -= item.length;
        this.backlogChars -= item.length;
        continue;
      }
      const newline = item.indexOf('\n', excess);
      const cut = newline === -1 ? safeCutIndex(item, excess) : newline + 1;
      if (cut < item.length) kept.push(item.slice(cut));
      this.backlogChars -= cut;
      excess = 0;
    }
    this.queue = kept;
    this.resync = true;
    this.flooding = true;
  }

  private trackCursor(params: (number | number[])[], hidden: boolean): boolean {
    if (params.includes(25)) this.cursorHidden = hidden;
    return false;
  }
}
