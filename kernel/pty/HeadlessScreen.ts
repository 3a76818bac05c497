import xtermHeadless from '@xterm/headless';
import type { Terminal as XtermTerminal } from '@xterm/headless';
import { HabitatError } from '../../shared/protocol/index.js';
import { lastingSequences } from './lastingState.js';
import { serializeScreen } from './serializeScreen.js';
import { ByteBacklog } from './ByteBacklog.js';
import { utf8CutIndex } from './utf8.js';

// @xterm/headless is CommonJS that Node cannot name-import
const { Terminal } = xtermHeadless;

const disposedError = (): HabitatError => new HabitatError('E_CONFLICT', 'the terminal session is disposed');

/** Cancels any half-parsed sequence (CAN), after output was dropped. */
const RESYNC = '\x18';
const NEWLINE = 0x0a;
/**
 * Output arriving faster than FLOOD_END_BYTES per FLOOD_WINDOW_MS (about 1.3 MB/s: more than anyone reads, a small
 * part of what xterm parses) is a flood, and a flood is over once FLOOD_CALM_WINDOWS windows in a row see less. That
 * is long enough that a busy host, whose timer fires late ahead of the output that piled up meanwhile, or whose
 * flooding program waits a moment for the CPU, does not end a flood by mistake (and parse what is dropped soon after).
 */
const FLOOD_WINDOW_MS = 50;
const FLOOD_END_BYTES = 65_536;
const FLOOD_CALM_WINDOWS = 4;
const MiB = 1_048_576;

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
  /**
   * Output waiting to be parsed above this many bytes is dropped, oldest first (default twice keepBytes, at least
   * 1 MiB)...
   */
  maxBacklogBytes?: number;
  /**
   * ...down to this many; a backlog above it means a flood. Default: enough to fill the scrollback and the screen
   * with full lines, within 256 KiB to 1 MiB, so that a late attacher still gets a full scrollback after a flood
   * (the default 5,000 lines of 120 columns take 590 KiB).
   */
  keepBytes?: number;
  /** xterm parses at most this many bytes per turn of the event loop (default 16 KiB). */
  sliceBytes?: number;
}

/** Something to do once the output before it (up to the backlog position `at`) has been parsed: a read, a resize. */
interface Action {
  at: number;
  run: () => void;
}

/**
 * An xterm.js terminal without a view, fed with a session's output. It never holds the session back: output waits
 * here as bytes (see ByteBacklog: memory that is reused, which the garbage collector never has to free), and is parsed in slices of at most sliceBytes, one per turn of the event loop, so that parsing (far slower
 * than a pty can produce) never keeps other terminals' I/O waiting for long.
 *
 * The trade-off, for floods only. While output comes faster than anyone reads (see FLOOD_END_BYTES), or gets more
 * than keepBytes ahead of the parser, nothing is parsed until the flood is over or a read waits: most of what it
 * would parse would scroll away unread, and parsing it would take the time the host needs to carry the flood to its
 * viewers. Beyond maxBacklogBytes the oldest unparsed output is dropped, keeping the latest keepBytes from a line
 * start, where the parser is resynchronised: a half-parsed sequence cancelled, the cursor at a line start, the pen
 * and the modes as the dropped output left them (see lastingSequences); what the dropped output drew is lost. So
 * screen() and replay() are exact for anything but a flood of more than maxBacklogBytes without a pause or a read
 * (a burst below that included), and during or after one show its tail, as a viewer would. A read is queued behind
 * the output written before it, so it sees exactly that output, less what a flood made us drop.
 */
export class HeadlessScreen {
  private readonly terminal: XtermTerminal;
  private readonly maxBacklogBytes: number;
  private readonly keepBytes: number;
  private readonly sliceBytes: number;
  /** Output not yet handed to xterm... */
  private readonly output = new ByteBacklog();
  /** ...and the actions queued behind parts of it, in order. */
  private actions: Action[] = [];
  /** A slice is with xterm: nothing else is handed over until it has been parsed. */
  private parsing = false;
  private nextSlice: NodeJS.Immediate | undefined;
  /** Output was dropped: resynchronise the parser before the next slice... */
  private resync = false;
  /** ...and restore the pen and modes the dropped output set (see lastingSequences). */
  private carried = '';
  /** Output comes too fast: nothing is parsed (unless a read waits) until it slows down. */
  private flooding = false;
  private floodWatch: NodeJS.Timeout | undefined;
  /** Bytes written since windowStart (performance.now()); while flooding, since the flood watch began. */
  private writtenInWindow = 0;
  private windowStart = -Infinity;
  private cursorHidden = false;
  private disposed = false;
  /** Reads not answered yet: a disposed terminal parses nothing more, so dispose() fails them. */
  private readonly pendingReads = new Set<(error: Error) => void>();

  constructor(options: HeadlessScreenOptions) {
    const { cols, rows, scrollback } = options;
    const keep = options.keepBytes ?? Math.min(Math.max((scrollback + rows) * cols, 262_144), MiB);
    this.maxBacklogBytes = options.maxBacklogBytes ?? Math.max(2 * keep, MiB);
    this.keepBytes = Math.min(keep, this.maxBacklogBytes);
    this.sliceBytes = Math.max(4, options.sliceBytes ?? 16_384);
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

  /** Bytes written and not yet parsed. */
  get backlog(): number {
    return this.output.length;
  }

  /** Output as text, or as UTF-8 bytes that end with a whole character (copied: the caller may reuse them). */
  write(data: string | Uint8Array): void {
    if (this.disposed || data.length === 0) return;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.output.append(bytes);
    this.countWritten(bytes.length);
    if (this.output.length > this.keepBytes) this.flooding = true;
    if (this.output.length > this.maxBacklogBytes) this.dropOldest();
    this.pump();
  }

  /** Takes effect in stream order: output written before it is parsed at the old size. */
  resize(cols: number, rows: number): void {
    if (this.disposed) return;
    this.enqueue(() => this.terminal.resize(cols, rows));
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
    clearTimeout(this.floodWatch);
    this.output.clear();
    this.actions = [];
    this.terminal.dispose();
    for (const fail of this.pendingReads) fail(disposedError());
    this.pendingReads.clear();
  }

  /** Runs `reader` once the output before it has been parsed, before any later output is. */
  private read<T>(reader: () => T): Promise<T> {
    return new Promise((resolve, reject) => {
      if (this.disposed) return reject(disposedError());
      this.pendingReads.add(reject);
      this.enqueue(() => {
        if (!this.pendingReads.delete(reject)) return;
        try {
          resolve(reader());
        } catch (error) {
          reject(error);
        }
      });
      this.pump();
    });
  }

  /** Runs the actions that are due, then hands xterm the next slice unless it is busy or a flood holds it. */
  private pump(): void {
    if (this.parsing || this.nextSlice !== undefined || this.disposed) return;
    while (this.actions.length > 0 && this.actions[0]!.at <= this.output.head && !this.disposed) {
      this.actions.shift()!.run();
    }
    if (this.output.length === 0 || this.disposed) {
      this.flooding = false;
      return;
    }
    if (this.flooding && this.pendingReads.size === 0) {
      this.floodWatch ??= this.watchFlood();
      return;
    }
    this.parsing = true;
    this.terminal.write(this.takeSlice(), () => {
      this.parsing = false;
      // never from xterm's callback itself: what is written there is parsed in the same turn, without yielding
      if (this.disposed) return;
      this.nextSlice = setImmediate(() => {
        this.nextSlice = undefined;
        this.pump();
      });
    });
  }

  /** A flood begins once a window of FLOOD_WINDOW_MS sees FLOOD_END_BYTES (the flood watch counts its own). */
  private countWritten(bytes: number): void {
    if (!this.flooding) {
      const now = performance.now();
      if (now - this.windowStart >= FLOOD_WINDOW_MS) {
        this.windowStart = now;
        this.writtenInWindow = 0;
      }
    }
    this.writtenInWindow += bytes;
    if (this.writtenInWindow >= FLOOD_END_BYTES) this.flooding = true;
  }

  /** Ends the flood, and resumes parsing, once output stays below FLOOD_END_BYTES per window for a while. */
  private watchFlood(calmWindows = 0): NodeJS.Timeout {
    this.writtenInWindow = 0;
    return setTimeout(() => {
      this.floodWatch = undefined;
      if (this.disposed) return;
      const calm = this.writtenInWindow < FLOOD_END_BYTES ? calmWindows + 1 : 0;
      if (calm < FLOOD_CALM_WINDOWS) {
        this.floodWatch = this.watchFlood(calm);
        return;
      }
      this.flooding = false;
      this.pump();
    }, FLOOD_WINDOW_MS);
  }

  /** Queues `run` behind the output written so far. */
  private enqueue(run: () => void): void {
    this.actions.push({ at: this.output.tail, run });
  }

  /** Up to sliceBytes of the waiting output, never splitting a character, stopping at an action (a copy for xterm). */
  private takeSlice(): Uint8Array {
    const action = this.actions[0];
    const limit = Math.min(this.sliceBytes, action ? action.at - this.output.head : Infinity);
    const waiting = this.output.peek(this.output.length);
    // an action's position and the end of what was written are character boundaries already
    const cut = limit >= waiting.length ? waiting.length : utf8CutIndex(waiting, limit);
    let prefix = '';
    if (this.resync) {
      this.resync = false;
      // everything before was parsed, so the cursor is where the kept output must continue from a line start
      prefix = RESYNC + (this.terminal.buffer.active.cursorX > 0 ? '\r\n' : '') + this.carried;
      this.carried = '';
    }
    const slice = prefix
      ? Buffer.concat([Buffer.from(prefix, 'utf8'), waiting.subarray(0, cut)])
      : Buffer.from(waiting.subarray(0, cut));
    this.output.skip(cut);
    return slice;
  }

  /** A flood: drops the oldest unparsed output, keeping about keepBytes from a line start; actions all stay. */
  private dropOldest(): void {
    const waiting = this.output.peek(this.output.length);
    const excess = waiting.length - this.keepBytes;
    const newline = waiting.indexOf(NEWLINE, excess);
    const cut = newline === -1 ? utf8CutIndex(waiting, excess) : newline + 1;
    this.carried = lastingSequences([waiting.subarray(0, cut)], this.carried);
    this.output.skip(cut); // actions behind dropped output are due now, ahead of what is kept, as they would be
    this.resync = true;
  }

  private trackCursor(params: (number | number[])[], hidden: boolean): boolean {
    if (params.includes(25)) this.cursorHidden = hidden;
    return false;
  }
}
