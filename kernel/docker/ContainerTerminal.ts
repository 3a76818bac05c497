import { randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type Dockerode from 'dockerode';
import { HabitatError } from '../../shared/protocol/index.js';
import type { PtyDisposable, PtyProcess } from '../pty/index.js';
import type { DockerEngine } from './DockerEngine.js';
import { execExitCode, startExecWhenRunning, type RunningGate } from './execStream.js';
import { readingInputTagged } from './inputProbe.js';
import { signalTagged } from './processSignals.js';

export interface ContainerTerminalOptions {
  cols: number;
  rows: number;
  /** Default an interactive login-less bash. */
  argv?: string[];
  env?: Record<string, string>;
  /** The container's pause: a terminal opened while it is paused (STOP) starts after CONT. */
  gate?: RunningGate;
}

type ExitListener = (event: { exitCode: number; signal?: number }) => void;

/** Exit code when Docker can no longer say (the container was killed or removed under the program). */
const VANISHED_EXIT_CODE = 137;
/** Exit code of a terminal closed before its program could start (as SIGHUP would end it). */
const HANGUP_EXIT_CODE = 129;
const ENDING_SIGNALS = new Set(['SIGHUP', 'SIGTERM', 'SIGKILL']);

/**
 * A program on a TTY inside a container, as a PtyProcess: a Docker exec with Tty on a hijacked connection. It is
 * returned at once and connects in the background (a PtySpawner must be synchronous): input and a resize given
 * before then are applied once connected; `ready` says when, or why not.
 *
 * `pid` is NaN: there is no host process to signal (the program lives in the container's PID namespace, maybe on a
 * remote engine). Host-side group signals on NaN do nothing (process.kill rejects it) where 0 or -1 would hit the
 * kernel's own group or every process; signals go through kill(), which signals the program and its descendants
 * inside the container.
 */
export class ContainerTerminal implements PtyProcess {
  readonly pid = Number.NaN;
  /** The value of HABITAT_TAG its processes carry. */
  readonly tag = randomUUID();
  /** Resolves once connected; rejects with a HabitatError if the exec could not start (onExit fires too). */
  readonly ready: Promise<void>;

  private readonly decoder = new StringDecoder('utf8');
  private readonly dataListeners = new Set<(data: string) => void>();
  private readonly exitListeners = new Set<ExitListener>();
  private socket: Duplex | undefined;
  private exec: Dockerode.Exec | undefined;
  private pendingInput: string[] = [];
  private size: { cols: number; rows: number };
  private paused = false;
  private exitCode: number | undefined;
  private ending = false;
  /** Ends the wait of a terminal opened on a paused container: closed before it ran, it never starts. */
  private cancelStart!: () => void;
  private readonly startCancelled = new Promise<void>((resolve) => (this.cancelStart = resolve));

  constructor(
    private readonly engine: DockerEngine,
    private readonly container: Dockerode.Container,
    options: ContainerTerminalOptions,
  ) {
    this.size = { cols: options.cols, rows: options.rows };
    this.ready = this.connect(options.argv ?? ['bash', '-i'], options.env, options.gate);
    this.ready.catch(() => undefined); // reported through onExit and the screen as well; awaiting is optional
  }

  onData(listener: (data: string) => void): PtyDisposable {
    this.dataListeners.add(listener);
    return { dispose: () => void this.dataListeners.delete(listener) };
  }

  onExit(listener: ExitListener): PtyDisposable {
    const code = this.exitCode;
    if (code !== undefined) queueMicrotask(() => listener({ exitCode: code }));
    else this.exitListeners.add(listener);
    return { dispose: () => void this.exitListeners.delete(listener) };
  }

  write(data: string): void {
    if (this.ending) return;
    if (this.socket) this.socket.write(data);
    else this.pendingInput.push(data);
  }

  resize(cols: number, rows: number): void {
    this.size = { cols, rows };
    if (this.exec && !this.ending) void this.applySize();
  }

  /** Stops reading: Docker stops reading the TTY in turn, and the program blocks once its buffer is full. */
  pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    this.paused = false;
    this.socket?.resume();
  }

  /** Signals the program and everything it started (SIGHUP by default, as closing a terminal does). */
  kill(signal = 'SIGHUP'): void {
    if (this.exitCode !== undefined) return;
    // one that ends it, before its program ran (the container is paused): it just never starts
    if (!this.exec && ENDING_SIGNALS.has(signal)) this.cancelStart();
    void this.ready // a program still starting gets it once it runs
      .then(() => this.exec && signalTagged(this.engine, this.container, signal, this.tag))
      .catch(() => undefined);
  }

  /** Whether it (or a process it started) is blocked reading the terminal, asked inside the container. */
  async readingInput(): Promise<boolean | undefined> {
    if (this.exitCode !== undefined) return false;
    await this.ready;
    return readingInputTagged(this.engine, this.container, this.tag);
  }

  /**
   * Ends it like closing a terminal window: SIGHUP, then SIGKILL after the grace period if it is still there, and
   * the connection closed. Resolves once it has exited.
   */
  async close(graceMs = 2_000): Promise<void> {
    if (this.exitCode !== undefined) return;
    if (!this.exec) this.cancelStart();
    await this.ready.catch(() => undefined);
    if (this.exitCode !== undefined) return;
    const exited = new Promise<void>((resolve) => this.onExit(() => resolve()));
    await signalTagged(this.engine, this.container, 'SIGHUP', this.tag).catch(() => undefined);
    const timer = setTimeout(() => {
      void signalTagged(this.engine, this.container, 'SIGKILL', this.tag)
        .catch(() => undefined)
        .finally(() => this.socket?.destroy());
    }, graceMs);
    await exited;
    clearTimeout(timer);
  }

  private async connect(
    argv: string[],
    env: Record<string, string> | undefined,
    gate: RunningGate | undefined,
  ): Promise<void> {
    try {
      const start = { argv, tag: this.tag, tty: true, size: this.size, ...(env ? { env } : {}) };
      const started = await startExecWhenRunning(
        this.engine,
        this.container,
        start,
        gate,
        this.startCancelled,
      );
      if (!started) {
        this.finish(HANGUP_EXIT_CODE); // closed while its container was paused: it never ran
        return;
      }
      this.exec = started.exec;
      this.socket = started.socket;
    } catch (error) {
      const reason = error instanceof HabitatError ? error.message : String(error);
      this.emit(`\r\nhabitat: cannot open a terminal in the container: ${reason}\r\n`);
      this.finish(126);
      throw error;
    }
    const socket = this.socket;
    if (socket instanceof Socket) socket.setNoDelay(true); // keystrokes are tiny and latency-bound
    socket.on('data', (chunk: Buffer) => this.emit(this.decoder.write(chunk)));
    socket.on('error', () => undefined); // a cut connection ends the session like its end does
    socket.once('close', () => void this.ended());
    if (this.paused) socket.pause();
    for (const data of this.pendingInput.splice(0)) socket.write(data);
    await this.applySize(); // Docker API 1.41 has no size at creation: the program gets SIGWINCH right away
  }

  private async applySize(): Promise<void> {
    const exec = this.exec;
    if (!exec) return;
    const { cols, rows } = this.size;
    await this.engine
      .call('resize a terminal', (abortSignal) => exec.resize({ h: rows, w: cols, abortSignal }))
      .catch(() => undefined); // the program may have just exited
  }

  private async ended(): Promise<void> {
    this.ending = true;
    this.emit(this.decoder.end());
    const code = this.exec ? await execExitCode(this.engine, this.exec) : undefined;
    if (code === undefined) {
      // the connection is gone but the program may not be: it must not linger unseen
      await signalTagged(this.engine, this.container, 'SIGKILL', this.tag).catch(() => undefined);
    }
    this.finish(code ?? VANISHED_EXIT_CODE);
  }

  private finish(exitCode: number): void {
    if (this.exitCode !== undefined) return;
    this.ending = true;
    this.exitCode = exitCode;
    for (const listener of [...this.exitListeners]) listener({ exitCode });
    this.exitListeners.clear();
  }

  private emit(data: string): void {
    if (data.length === 0) return;
    for (const listener of [...this.dataListeners]) listener(data);
  }
}
