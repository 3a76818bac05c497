import type { OnReadOpts } from 'node:net';

/** Up to this much per read of the display socket; Node's default is 64 KiB. */
const READ_BYTES = 256 * 1024;
/** A read at least this large travels in the read buffer itself; a smaller one is copied out of it. */
const HANDOFF_BYTES = READ_BYTES / 2;
/** Spare read buffers kept per connection; more are left to the garbage collector. */
const SPARES = 2;

/** Receives one chunk; `done`, when given, must be called once the chunk's bytes are no longer needed. */
export type ChunkSink = (chunk: Buffer, done: (() => void) | undefined) => void;

/**
 * Reads for a display socket (net.connect's `onread`). Node's default allocates a new 64 KiB buffer per read; at
 * hundreds of MB/s those allocations are external memory that drives V8 into repeated full garbage collections,
 * which cost more CPU than the copying itself (measured: about a quarter of the proxy's CPU). Here reads are up to
 * 256 KiB into recycled buffers: a large read travels in its buffer, which comes back once the WebSocket has written
 * it; a small one is copied out, so the buffer is reused at once. A queued frame pins at most twice its size.
 */
export class DisplayReads {
  private spares: Buffer[] = [];
  private current = this.take();
  /** Where chunks go; until a session sets it, the socket stays paused and nothing is read. */
  sink: ChunkSink = () => undefined;

  readonly options: OnReadOpts = {
    buffer: () => this.current,
    callback: (bytes: number) => {
      const buffer = this.current;
      if (bytes >= HANDOFF_BYTES) {
        this.current = this.take(); // the next read goes elsewhere while this one is in flight
        this.sink(buffer.subarray(0, bytes), () => this.give(buffer));
      } else {
        this.sink(Buffer.from(buffer.subarray(0, bytes)), undefined);
      }
      return true; // backpressure pauses the socket itself, which works with onread too
    },
  };

  private take(): Buffer {
    return this.spares.pop() ?? Buffer.allocUnsafeSlow(READ_BYTES);
  }

  private give(buffer: Buffer): void {
    if (this.spares.length < SPARES) this.spares.push(buffer);
  }
}
