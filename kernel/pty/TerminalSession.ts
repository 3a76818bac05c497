import { randomUUID } from 'node:crypto';
import { constants } from 'node:os';
import { HabitatError } from '../../shared/protocol/index.js';
import type { Disposable } from '../events/index.js';
import { HeadlessScreen, type ScreenSnapshot } from './HeadlessScreen.js';
import { OutputBatcher } from './OutputBatcher.js';
import { OutputConsumers, type ConsumerCallback, type TerminalConsumer } from './OutputConsumers.js';
import { isGroupAliveSoon, readingTerminal, signalGroup, terminateSession } from '../os/index.js';
import type { PtyDisposable, PtyProcess, PtySpawner } from './PtySpawner.js';
import { chunkText, yieldToEventLoop } from './text.js';

/**
 * A flood goes out in batches of up to 1 MiB, one a display frame (see OutputBatcher): each message costs the host,
 * the network and the viewer a wake-up and an acknowledgement, and fewer, larger ones carried a flood about a third
 * faster than batches of 124 KiB did (paired runs of bench/terminal-throughput.ts). A batch is cut to flow control's
 * window, so what a viewer has yet to render never exceeds the high watermark (what Ctrl+C in a flood waits for).
 */
export const DEFAULT_BATCH_MAX_BYTES = 1_048_576;

export interface TerminalSessionOptions {
  /** The program; make no assumption about it (the kernel passes `bwrap` for sandboxed commands). */
  file: string;
  args?: readonly string[];
  cwd?: string;
  /** The child's whole environment; without it, the host's. */
  env?: Record<string, string | undefined>;
  /** Default 80 by 24. */
  cols?: number;
  rows?: number;
  /** $TERM, default xterm-256color. */
  name?: string;
  /** Default a random UUID. */
  id?: string;
  /** Lines the headless screen keeps above the visible ones, default 5,000. */
  scrollback?: number;
  /**
   * While output keeps coming, it is delivered at most this often (default 5 ms; the first after a pause at once, a
   * flood once per display frame, see OutputBatcher)...
   */
  batchIntervalMs?: number;
  /** ...in batches of at most this many bytes of UTF-8 (default DEFAULT_BATCH_MAX_BYTES). */
  batchMaxBytes?: number;
  /**
   * Flow control: at most this many characters (bytes for a byte consumer) are ever unacknowledged; reaching it pauses
   * the program (default 1 MiB: a few display frames of a flood, so that a viewer that keeps up, acknowledging each
   * batch it has rendered, never waits for the next)...
   */
  highWatermark?: number;
  /**
   * ...and resume below this many (default half the high watermark: the viewer still has that much to render while
   * the program gets going again, so the stream does not stall at every pause).
   */
  lowWatermark?: number;
  /** Input is written in pieces of this many characters, yielding between them (default 8 KiB). */
  writeChunkChars?: number;
  /** How long dispose() waits after SIGTERM before SIGKILL (default 2 s). */
  killGraceMs?: number;
}

export interface TerminalExit {
  /** As a shell reports it: 128 + the signal's number when a signal ended the program (node-pty says 0 then). */
  exitCode: number;
  /** The signal that ended the program, if one did. */
  signal: NodeJS.Signals | null;
}

export interface AttachOptions {
  /** Default true. Without it the consumer never acknowledges and never slows the program (internal use). */
  flowControl?: boolean;
  /**
   * Also take the screen's replay (see replay()) as of the moment of attaching, as the consumer's `replay`; live
   * output continues exactly where it ends, nothing lost or repeated: what a late-attaching xterm.js needs.
   */
  replay?: boolean;
}

export type { ScreenSnapshot, TerminalConsumer };

const MAX_SIZE = 1000;
const EXIT_WAIT_MS = 1_000;
const GROUP_WATCH_MS = 1_000;
const signalNames = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]),
);

function requireInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new HabitatError('E_INVALID', `${name} must be an integer from ${min} to ${max}`, {
      [name]: value,
    });
  }
  return value;
}

async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/**
 * One program on one pseudo-terminal: chunked input, batched output to any number of consumers with credit-based
 * flow control, a headless screen for previews and late attachers, and a clean end.
 */
export class TerminalSession {
  readonly id: string;
  /** The program's pid; it leads its own session, so this is also its process group id. */
  readonly osPid: number;
  /** The program's host PID, or null without one (a container exec: signals then go through its PtyProcess). */
  readonly hostPid: number | null;

  private readonly pty: PtyProcess;
  private readonly ptySubscriptions: PtyDisposable[] = [];
  private readonly batcher: OutputBatcher;
  private readonly consumers: OutputConsumers;
  private readonly screenView: HeadlessScreen;
  private readonly exitListeners = new Set<(exit: TerminalExit) => void>();
  private readonly exitDone: Promise<TerminalExit>;
  private readonly writeChunkChars: number;
  private readonly killGraceMs: number;
  private size: { cols: number; rows: number };
  private writeQueue: Promise<void> = Promise.resolve();
  private exitStatus: TerminalExit | undefined;
  /** Set once the program has ended or is being ended: output is then read regardless of flow control. */
  private draining = false;
  private closed = false;
  private disposing: Promise<void> | undefined;
  /**
   * Set once the program and every process of its group are gone. From then on the group id may be reused by an
   * unrelated process, so it is never signalled again.
   */
  private groupEnded = false;
  private groupWatch: NodeJS.Timeout | undefined;

  constructor(spawner: PtySpawner, options: TerminalSessionOptions) {
    const cols = requireInteger('cols', options.cols ?? 80, 1, MAX_SIZE);
    const rows = requireInteger('rows', options.rows ?? 24, 1, MAX_SIZE);
    const scrollback = requireInteger('scrollback', options.scrollback ?? 5_000, 0, 1_000_000);
    const intervalMs = requireInteger('batchIntervalMs', options.batchIntervalMs ?? 5, 0, 1_000);
    const maxBytes = requireInteger(
      'batchMaxBytes',
      options.batchMaxBytes ?? DEFAULT_BATCH_MAX_BYTES,
      4,
      16_777_216,
    );
    const high = requireInteger('highWatermark', options.highWatermark ?? 1_048_576, 1, 1e9);
    const low = requireInteger('lowWatermark', options.lowWatermark ?? Math.ceil(high / 2), 1, high);
    this.writeChunkChars = requireInteger('writeChunkChars', options.writeChunkChars ?? 8_192, 2, 1_048_576);
    this.killGraceMs = requireInteger('killGraceMs', options.killGraceMs ?? 2_000, 0, 60_000);
    this.id = options.id ?? randomUUID();
    this.size = { cols, rows };

    // the screen takes every batch but never holds the program back: it drops the oldest of a flood instead
    this.batcher = new OutputBatcher(
      (batch) => {
        this.screenView.write(batch);
        this.consumers.deliver(batch);
      },
      intervalMs,
      maxBytes,
      // flow control's window; once the program has exited, what is left goes out regardless (see startDraining)
      () => (this.draining ? Infinity : this.consumers.room()),
    );
    this.consumers = new OutputConsumers({ high, low }, maxBytes, (paused) => this.applyPressure(paused));
    this.screenView = new HeadlessScreen({ cols, rows, scrollback });

    try {
      this.pty = spawner.spawn(options.file, options.args ?? [], {
        cols,
        rows,
        name: options.name ?? 'xterm-256color',
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
        ...(options.env === undefined ? {} : { env: options.env }),
      });
    } catch (error) {
      this.screenView.dispose();
      throw new HabitatError('E_UNAVAILABLE', `cannot start ${options.file}: ${(error as Error).message}`);
    }
    this.osPid = this.pty.pid;
    this.hostPid = Number.isInteger(this.osPid) && this.osPid > 0 ? this.osPid : null;
    // bytes where the spawner has them: they stay bytes to the WebSocket frame, decoded only for text consumers
    this.ptySubscriptions.push(
      this.pty.onBytes
        ? this.pty.onBytes((bytes) => this.batcher.push(bytes))
        : this.pty.onData((data) => this.batcher.push(data)),
    );
    this.exitDone = new Promise((resolve) => {
      this.ptySubscriptions.push(this.pty.onExit((event) => void this.handleExit(event).then(resolve)));
    });
  }

  get cols(): number {
    return this.size.cols;
  }

  get rows(): number {
    return this.size.rows;
  }

  /** How the program ended; undefined while it runs. */
  get exit(): TerminalExit | undefined {
    return this.exitStatus;
  }

  /** Whether flow control has paused the program's output. */
  get isPaused(): boolean {
    return this.consumers.isPaused && !this.draining;
  }

  /**
   * Writes input in pieces, yielding to the event loop between them, so a 50 MB paste neither blocks the host nor
   * is cut short (the spawner queues what the program has not read yet). Writes are delivered in call order; input
   * still pending when the program exits is dropped.
   */
  write(data: string): Promise<void> {
    const refusal = this.refusal();
    if (refusal) return Promise.reject(refusal);
    const run = this.writeQueue.then(() => this.writeChunks(data));
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  resize(cols: number, rows: number): void {
    requireInteger('cols', cols, 1, MAX_SIZE);
    requireInteger('rows', rows, 1, MAX_SIZE);
    const refusal = this.refusal();
    if (refusal) throw refusal;
    this.pty.resize(cols, rows);
    this.screenView.resize(cols, rows);
    this.size = { cols, rows };
  }

  /**
   * Whether the program waits for typed input: it, or a process it started, is blocked reading the terminal.
   * False once it has exited; undefined where that cannot be told (no /proc, a remote container).
   */
  async waitingForInput(): Promise<boolean | undefined> {
    if (this.exitStatus || this.closed || this.disposing) return false;
    if (this.hostPid !== null) return readingTerminal(this.hostPid);
    return this.pty.readingInput ? this.pty.readingInput().catch(() => undefined) : undefined;
  }

  /** Signals the program's whole process group; SIGHUP (a hang-up) by default, as closing a terminal would. */
  kill(signal: NodeJS.Signals = 'SIGHUP'): void {
    if (!Object.hasOwn(constants.signals, signal)) {
      throw new HabitatError('E_INVALID', `unknown signal ${String(signal)}`);
    }
    if (this.disposing || this.groupEnded) return;
    if (this.hostPid !== null) signalGroup(this.hostPid, signal);
    else this.pty.kill(signal); // a container exec: its PtyProcess signals what it started
  }

  /**
   * Delivers output to `consumer` from now on, as text (it acknowledges characters); see AttachOptions for flow
   * control and the replay.
   */
  attach(consumer: (data: string) => void, options: AttachOptions = {}): TerminalConsumer {
    return this.addConsumer({ text: consumer }, options);
  }

  /**
   * As attach(), with the output as UTF-8 bytes, never a character split between two deliveries (it acknowledges
   * bytes). Nothing is decoded for it: what a consumer that sends bytes on, or renders them, wants.
   */
  attachBytes(consumer: (data: Uint8Array) => void, options: AttachOptions = {}): TerminalConsumer {
    return this.addConsumer({ bytes: consumer }, options);
  }

  private addConsumer(callback: ConsumerCallback, options: AttachOptions): TerminalConsumer {
    if (this.disposing) throw new HabitatError('E_CONFLICT', 'the terminal session is disposed');
    return this.consumers.add(callback, {
      flowControl: options.flowControl ?? true,
      ...(options.replay ? { replay: this.screenView.replay() } : {}),
    });
  }

  /** Called once, after the last output has been delivered; at once (asynchronously) if the program has ended. */
  onExit(listener: (exit: TerminalExit) => void): Disposable {
    const status = this.exitStatus;
    if (status) {
      queueMicrotask(() => listener(status));
      return { dispose: () => undefined };
    }
    this.exitListeners.add(listener);
    return { dispose: () => void this.exitListeners.delete(listener) };
  }

  /** Resolves with how the program ended, after its last output has been delivered. */
  exited(): Promise<TerminalExit> {
    return this.exitDone;
  }

  /** Resolves once the headless screen has parsed all output delivered so far. */
  settled(): Promise<void> {
    return this.screenView.settled();
  }

  /** The visible screen as of all output delivered before this call (for Mission Control previews). */
  screen(): Promise<ScreenSnapshot> {
    return this.screenView.snapshot();
  }

  /**
   * Text that a fresh xterm.js of the same size can write to reproduce the scrollback, the screen (the alternate one
   * included), colours, cursor and input modes, as of all output delivered before this call. Made by our own
   * serializer (serializeScreen.ts), not @xterm/addon-serialize.
   */
  replay(): Promise<string> {
    return this.screenView.replay();
  }

  /**
   * Ends the program (SIGHUP and SIGTERM to its process group, SIGKILL after the grace period), waits for its last
   * output and exit, then releases everything. Safe to call more than once, and after the program has exited.
   */
  dispose(): Promise<void> {
    this.disposing ??= this.teardown();
    return this.disposing;
  }

  private async teardown(): Promise<void> {
    this.startDraining(); // a paused pty would hold back the end of output, and with it the exit
    if (this.groupEnded) {
      // nothing left to end
    } else if (this.hostPid !== null) {
      await terminateSession(this.hostPid, this.killGraceMs);
    } else {
      let exited = false;
      void this.exitDone.then(() => (exited = true));
      this.pty.kill('SIGHUP');
      await withTimeout(this.exitDone, this.killGraceMs);
      if (!exited) this.pty.kill('SIGKILL');
    }
    await withTimeout(this.exitDone, EXIT_WAIT_MS);
    clearInterval(this.groupWatch);
    this.close();
    this.consumers.clear();
    this.exitListeners.clear();
    this.screenView.dispose();
  }

  private refusal(): HabitatError | undefined {
    if (this.disposing) return new HabitatError('E_CONFLICT', 'the terminal session is disposed');
    if (this.closed || this.exitStatus) return new HabitatError('E_CONFLICT', 'the program has exited');
    return undefined;
  }

  private async writeChunks(data: string): Promise<void> {
    let first = true;
    for (const chunk of chunkText(data, this.writeChunkChars)) {
      if (!first) await yieldToEventLoop();
      first = false;
      if (this.closed || this.disposing) return;
      this.pty.write(chunk);
    }
  }

  private applyPressure(paused: boolean): void {
    if (this.draining) return;
    if (paused) {
      this.batcher.hold();
      this.pty.pause();
    } else {
      this.pty.resume();
      this.batcher.release();
    }
  }

  private startDraining(): void {
    if (this.draining) return;
    this.draining = true;
    if (!this.closed) this.pty.resume();
    this.batcher.release();
  }

  private async handleExit(event: { exitCode: number; signal?: number }): Promise<TerminalExit> {
    // the spawner reports the exit after the last output (nodePtySpawner reads it to the kernel's end of data):
    // deliver what is still batched or held back by flow control, then tell
    this.startDraining();
    this.batcher.end();
    this.close();
    const signal = signalNames.get(event.signal ?? 0) ?? null;
    const exit: TerminalExit = { exitCode: signal ? 128 + event.signal! : event.exitCode, signal };
    this.watchGroup();
    await this.screenView.settled().catch(() => undefined);
    this.exitStatus = exit;
    for (const listener of [...this.exitListeners]) {
      try {
        listener(exit);
      } catch (error) {
        console.error('[pty] exit listener threw:', error);
      }
    }
    this.exitListeners.clear();
    return exit;
  }

  /**
   * After the exit: notes when the group is gone (background jobs may outlive the program for a while). It asks a
   * scan shared with every other terminal (isGroupAliveSoon): two hundred agents ending at once read /proc once.
   */
  private watchGroup(): void {
    const check = async (): Promise<void> => {
      if (await isGroupAliveSoon(this.osPid)) return;
      this.groupEnded = true;
      clearInterval(this.groupWatch);
    };
    void check();
    if (!this.disposing) this.groupWatch = setInterval(() => void check(), GROUP_WATCH_MS).unref();
  }

  /** Stops listening to the pty and drops pending timers; the screen and consumers stay until dispose(). */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const subscription of this.ptySubscriptions.splice(0)) subscription.dispose();
    this.batcher.dispose();
  }
}
