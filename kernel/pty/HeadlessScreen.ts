import xtermHeadless from '@xterm/headless';
import type { Terminal as XtermTerminal } from '@xterm/headless';
import { HabitatError } from '../../shared/protocol/index.js';
import { serializeScreen } from './serializeScreen.js';

// @xterm/headless is CommonJS that Node cannot name-import
const { Terminal } = xtermHeadless;

const disposedError = (): HabitatError => new HabitatError('E_CONFLICT', 'the terminal session is disposed');

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

/**
 * An xterm.js terminal without a view, fed with a session's output. xterm parses asynchronously; every read here is
 * queued behind the writes before it, so it sees exactly the output written before it was asked for.
 */
export class HeadlessScreen {
  private readonly terminal: XtermTerminal;
  private cursorHidden = false;
  private disposed = false;
  /** Reads not answered yet: a disposed terminal parses nothing more, so dispose() fails them. */
  private readonly pendingReads = new Set<(error: Error) => void>();

  constructor(options: { cols: number; rows: number; scrollback: number }) {
    this.terminal = new Terminal({ ...options, allowProposedApi: true });
    // cursor visibility (DECTCEM) is not in xterm's public modes: track it for the replay, leaving xterm to act too
    const { parser } = this.terminal;
    parser.registerCsiHandler({ prefix: '?', final: 'h' }, (params) => this.trackCursor(params, false));
    parser.registerCsiHandler({ prefix: '?', final: 'l' }, (params) => this.trackCursor(params, true));
    parser.registerEscHandler({ final: 'c' }, () => {
      this.cursorHidden = false; // a full reset (RIS) shows the cursor again
      return false;
    });
  }

  write(data: string, onParsed: () => void): void {
    if (this.disposed) return;
    this.terminal.write(data, onParsed);
  }

  resize(cols: number, rows: number): void {
    if (!this.disposed) this.terminal.resize(cols, rows);
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
    this.terminal.dispose();
    for (const fail of this.pendingReads) fail(disposedError());
    this.pendingReads.clear();
  }

  /** Runs `reader` once the writes before it have been parsed, before any later one is. */
  private read<T>(reader: () => T): Promise<T> {
    return new Promise((resolve, reject) => {
      if (this.disposed) return reject(disposedError());
      this.pendingReads.add(reject);
      this.terminal.write('', () => {
        if (!this.pendingReads.delete(reject)) return;
        try {
          resolve(reader());
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  private trackCursor(params: (number | number[])[], hidden: boolean): boolean {
    if (params.includes(25)) this.cursorHidden = hidden;
    return false;
  }
}
