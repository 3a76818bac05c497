import { readSync, writeSync } from 'node:fs';
import type { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import * as nodePty from 'node-pty';
import type { PtyDisposable, PtyProcess, PtySpawner } from './PtySpawner.js';

/** Enough for what the kernel can hold for a terminal (about 64 KiB), with room to spare. */
const MAX_DRAIN_BYTES = 4 * 1024 * 1024;
/** How soon input the pty had no room for is tried again when the program took none of it last time. */
const INPUT_RETRY_MS = 1;

/** What node-pty's UnixTerminal has but does not declare. */
interface UnixTerminalInternals {
  _socket?: Socket;
  fd?: number;
}

/** Node's readable state lets a stream's decoder be taken away again (its setters are what setEncoding uses). */
interface DecodingState {
  decoder: unknown;
  encoding: unknown;
}

/**
 * The spawner on node-pty. On Unix it makes sure the end of a program's output is never lost, which node-pty alone
 * does not: libuv may report end-of-file on the pty while the kernel still holds output (libuv issue #4992), and
 * node-pty destroys its socket 200 ms after the program exits even if output is still unread (a busy host, or flow
 * control holding it). Both times we first read what is left straight from the pty, up to the kernel's "no more".
 * It also writes input straight to the pty (non-blocking, as libuv opened it): node-pty writes from libuv's thread
 * pool, so on a busy host a keystroke waited for a pool thread and then for the event loop to hear back.
 */
export const nodePtySpawner: PtySpawner = {
  spawn(file, args, options) {
    // 'utf8' also makes node-pty set IUTF8, which line editing of multi-byte characters needs
    const pty = nodePty.spawn(file, [...args], { ...options, encoding: 'utf8' });
    const { _socket: socket, fd } = pty as unknown as UnixTerminalInternals;
    if (process.platform === 'win32' || !socket || typeof fd !== 'number') return pty;
    return new DrainedUnixPty(pty, socket, fd);
  },
};

class DrainedUnixPty implements PtyProcess {
  private readonly decoder = new StringDecoder('utf8');
  private readonly dataListeners = new Set<(data: string) => void>();
  private readonly byteListeners = new Set<(data: Uint8Array) => void>();
  /** Input the pty had no room for yet, in order. */
  private pendingInput: Buffer[] = [];
  private cancelInputRetry: (() => void) | undefined;

  constructor(
    private readonly pty: nodePty.IPty,
    private readonly socket: Socket,
    private readonly fd: number,
  ) {
    // we want the bytes and decode UTF-8 ourselves: then no partial character is stranded in the socket's decoder
    // when its reading stops early, and a reader that batches decodes once per batch. node-pty set a decoder on the
    // socket; without it the socket hands out its buffers as read. Where that cannot be undone, bytes arrive as
    // latin1 characters, one for one.
    const state = (socket as unknown as { _readableState?: DecodingState })._readableState;
    if (state && 'decoder' in state && 'encoding' in state) {
      state.decoder = null;
      state.encoding = null;
    } else {
      socket.setEncoding('latin1');
    }
    pty.onData((chunk: string | Buffer) =>
      this.emit(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk),
    );
    // registered first, so the last bytes are out before anyone hears of the exit
    pty.onExit(() => {
      this.emitText(this.decoder.end());
      this.dropInput(); // no one reads it any more
    });
    socket.on('end', () => this.drain());
    const destroy = socket.destroy.bind(socket);
    socket.destroy = ((error?: Error) => {
      if (!error && !socket.destroyed) this.drain();
      return destroy(error);
    }) as Socket['destroy'];
  }

  get pid(): number {
    return this.pty.pid;
  }

  onData(listener: (data: string) => void): PtyDisposable {
    this.dataListeners.add(listener);
    return { dispose: () => void this.dataListeners.delete(listener) };
  }

  onBytes(listener: (data: Uint8Array) => void): PtyDisposable {
    this.byteListeners.add(listener);
    return { dispose: () => void this.byteListeners.delete(listener) };
  }

  onExit(listener: (event: { exitCode: number; signal?: number }) => void): PtyDisposable {
    return this.pty.onExit(listener);
  }

  write(data: string): void {
    const input = Buffer.from(data, 'utf8');
    if (input.length === 0) return;
    this.pendingInput.push(input);
    if (this.pendingInput.length === 1) this.writeInput();
  }

  resize(cols: number, rows: number): void {
    this.pty.resize(cols, rows);
  }

  pause(): void {
    this.pty.pause();
  }

  resume(): void {
    this.pty.resume();
  }

  kill(signal?: string): void {
    this.pty.kill(signal);
  }

  /**
   * Writes pending input until the pty has no room. The rest is tried again on the next turn while the program
   * keeps taking input (a paste goes at its pace), else a little later (no spinning on one that reads nothing).
   */
  private writeInput(): void {
    this.cancelInputRetry = undefined;
    let progress = false;
    while (this.pendingInput.length > 0) {
      // once node-pty has let go of the pty, its descriptor number may soon name another file
      if (this.socket.destroyed) return this.dropInput();
      const input = this.pendingInput[0]!;
      let written: number;
      try {
        written = writeSync(this.fd, input);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
          this.retryInput(progress);
        } else {
          this.dropInput(); // EIO, EBADF: the program's side is gone
        }
        return;
      }
      progress ||= written > 0;
      if (written < input.length) this.pendingInput[0] = input.subarray(written);
      else this.pendingInput.shift();
    }
  }

  private retryInput(soon: boolean): void {
    const retry = (): void => this.writeInput();
    if (soon) {
      const immediate = setImmediate(retry);
      this.cancelInputRetry = () => clearImmediate(immediate);
    } else {
      const timer = setTimeout(retry, INPUT_RETRY_MS);
      this.cancelInputRetry = () => clearTimeout(timer);
    }
  }

  private dropInput(): void {
    this.cancelInputRetry?.();
    this.cancelInputRetry = undefined;
    this.pendingInput = [];
  }

  /** Bytes as read, which byte listeners may keep: never a buffer that is read into again. */
  private emit(bytes: Buffer): void {
    if (bytes.length === 0) return;
    for (const listener of this.byteListeners) listener(bytes);
    if (this.dataListeners.size > 0) this.emitText(this.decoder.write(bytes));
  }

  private emitText(data: string): void {
    if (data.length === 0) return;
    for (const listener of [...this.dataListeners]) listener(data);
  }

  /** Delivers what the socket buffered and what the kernel still holds, until the pty says there is no more. */
  private drain(): void {
    while (this.socket.readableLength > 0 && this.socket.read() !== null); // emits 'data', in order
    for (let total = 0; total < MAX_DRAIN_BYTES;) {
      const buffer = Buffer.allocUnsafe(65_536);
      let read: number;
      try {
        read = readSync(this.fd, buffer, 0, buffer.length, null);
      } catch {
        return; // EIO: the program's side is closed and all is read; EAGAIN: something still holds it open
      }
      if (read === 0) return;
      total += read;
      this.emit(buffer.subarray(0, read));
    }
  }
}
