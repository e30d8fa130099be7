// A growable byte buffer: parsers append piece by piece and hand out one exact-length array at the end.

export class ByteWriter {
  private buffer: Uint8Array;
  private used = 0;

  constructor(initialCapacity = 64) {
    this.buffer = new Uint8Array(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.used;
  }

  push(byte: number): void {
    if (this.used === this.buffer.length) {
      this.grow(1);
    }
    this.buffer[this.used++] = byte;
  }

  append(bytes: Uint8Array): void {
    if (this.used + bytes.length > this.buffer.length) {
      this.grow(bytes.length);
    }
    this.buffer.set(bytes, this.used);
    this.used += bytes.length;
  }

  /** A copy of exactly the bytes written, so later writes cannot alias it. */
  toBytes(): Uint8Array {
    return this.buffer.slice(0, this.used);
  }

  private grow(extra: number): void {
    const next = new Uint8Array(Math.max(this.buffer.length * 2, this.used + extra));
    next.set(this.buffer.subarray(0, this.used));
    this.buffer = next;
  }
}
