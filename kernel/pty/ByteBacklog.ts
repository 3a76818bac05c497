/** What an empty backlog keeps (an idle terminal costs little); it grows as output waits, and shrinks once empty. */
const SMALL_BYTES = 16_384;

/**
 * Output waiting to be parsed, copied into one piece of memory that is reused, rather than kept as the batches it
 * came in. A flood keeps about a megabyte waiting for a while: batches kept that long outlive the young generation,
 * and the garbage collector would then have to mark and sweep the whole heap to free them, which cost the kernel
 * more than the copy. Positions are absolute: bytes appended since the start of the stream.
 */
export class ByteBacklog {
  private store = Buffer.allocUnsafe(SMALL_BYTES);
  private start = 0;
  private end = 0;
  /** The absolute position of store[start]. */
  private dropped = 0;

  /** Bytes waiting. */
  get length(): number {
    return this.end - this.start;
  }

  /** The absolute position of the first byte waiting. */
  get head(): number {
    return this.dropped;
  }

  /** The absolute position after the last byte appended. */
  get tail(): number {
    return this.dropped + this.length;
  }

  append(bytes: Uint8Array): void {
    if (this.end + bytes.length > this.store.length) this.makeRoom(bytes.length);
    this.store.set(bytes, this.end);
    this.end += bytes.length;
  }

  /** The first `count` bytes waiting, as a view that is valid only until the next append. */
  peek(count: number): Buffer {
    return this.store.subarray(this.start, this.start + Math.min(count, this.length));
  }

  /** Removes the first `count` bytes. */
  skip(count: number): void {
    const n = Math.min(count, this.length);
    this.start += n;
    this.dropped += n;
    if (this.start === this.end) this.reset();
  }

  clear(): void {
    this.skip(this.length);
  }

  private reset(): void {
    this.start = 0;
    this.end = 0;
    if (this.store.length > SMALL_BYTES) this.store = Buffer.allocUnsafe(SMALL_BYTES);
  }

  private makeRoom(more: number): void {
    const needed = this.length + more;
    // moving what waits to the front costs a copy of it: done only where that frees at least as much as it moves
    if (needed <= this.store.length / 2) {
      this.store.copyWithin(0, this.start, this.end);
    } else {
      const grown = Buffer.allocUnsafe(2 * needed);
      this.store.copy(grown, 0, this.start, this.end);
      this.store = grown;
    }
    this.end -= this.start;
    this.start = 0;
  }
}
