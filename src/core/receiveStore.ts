// Where a traffic log keeps the bytes it received through a reused read buffer (socketReads.ts).
// Those bytes must be copied before the read returns, and copying each chunk into a buffer of its own
// would allocate what node's own reads allocate: in a process with a large heap (the extension host)
// 32 MiB of new buffers force a scavenge, and each such scavenge starts a full mark of the heap on
// V8's worker threads (docs/benchmarks.md). So the log copies into a store it reuses: one buffer,
// written in a circle, grown by doubling up to the log's byte limit. A record's bytes are a view
// into it, valid while the log retains the record; the owner evicts the records a write would
// overwrite first (see `place`). A buffer the store outgrows is never written again, so the records
// still pointing into it stay intact until they are evicted.

/** The first buffer of a store: small, so a connection that says little costs little. */
const INITIAL_STORE_BYTES = 8 * 1024;

export class ReceiveStore {
  private buffer: Buffer | undefined;
  private writeAt = 0;
  /** The records placed in the current buffer, oldest first: their record numbers and offsets. */
  private placedSeqs: number[] = [];
  private placedStarts: number[] = [];
  private placedHead = 0;

  /**
   * Room for record `seq`'s `length` bytes, or undefined when a chunk cannot live in the store (empty,
   * or longer than `maxBytes`: the log evicts it at once, so it gets a buffer of its own). Records of
   * this buffer that the region would overwrite are evicted first through `evictThrough(seq)` (the log
   * is first in, first out, so every older record goes with them); `oldestRetainedSeq` says which
   * records the log has already let go by its own limits.
   */
  place(seq: number, length: number, maxBytes: number, oldestRetainedSeq: () => number, evictThrough: (seq: number) => void): Buffer | undefined {
    if (length === 0 || length > maxBytes) return undefined;
    let buffer = this.buffer;
    if (buffer === undefined || this.writeAt + length > buffer.byteLength) {
      if (buffer === undefined || buffer.byteLength < maxBytes) {
        // Outgrown: a new buffer; the old one keeps its records' bytes and is never written again.
        let size = Math.max(INITIAL_STORE_BYTES, (buffer?.byteLength ?? 0) * 2);
        while (size < length) size *= 2;
        buffer = Buffer.allocUnsafeSlow(Math.min(size, maxBytes));
        this.buffer = buffer;
        this.placedSeqs = [];
        this.placedStarts = [];
        this.placedHead = 0;
      } else {
        // A new lap. Records of the lap before that still sit past the write position (less than
        // one chunk's worth) are older than all of this lap's, so they go first: then only this
        // lap's records remain, each ahead of the write position in the order they were written.
        while (this.placedHead < this.placedSeqs.length && this.placedStarts[this.placedHead] >= this.writeAt) {
          const placedSeq = this.placedSeqs[this.placedHead++];
          if (placedSeq >= oldestRetainedSeq()) evictThrough(placedSeq);
        }
      }
      this.writeAt = 0;
    }
    const from = this.writeAt;
    const to = from + length;
    // The records this region can overlap are the oldest of this buffer, from the last lap, right
    // ahead of the write position (every earlier position of this lap was written over, so the last
    // lap's records that started there are gone); one that starts behind it is from this lap, and so
    // are all after it.
    while (this.placedHead < this.placedSeqs.length) {
      const placedSeq = this.placedSeqs[this.placedHead];
      const start = this.placedStarts[this.placedHead];
      if (placedSeq >= oldestRetainedSeq()) {
        if (start < from || start >= to) break;
        evictThrough(placedSeq);
      }
      this.placedHead++;
    }
    if (this.placedHead > 1024 && this.placedHead * 2 > this.placedSeqs.length) {
      this.placedSeqs = this.placedSeqs.slice(this.placedHead);
      this.placedStarts = this.placedStarts.slice(this.placedHead);
      this.placedHead = 0;
    }
    this.placedSeqs.push(seq);
    this.placedStarts.push(from);
    this.writeAt = to;
    return buffer.subarray(from, to);
  }

  /** Forget the buffer (the log was cleared or compacted): the next write starts a new one. */
  reset(): void {
    this.buffer = undefined;
    this.writeAt = 0;
    this.placedSeqs = [];
    this.placedStarts = [];
    this.placedHead = 0;
  }

  /** True when `view` lies in the buffer the store still writes (so its bytes will be reused). */
  holds(view: Uint8Array): boolean {
    return this.buffer !== undefined && view.buffer === this.buffer.buffer;
  }

  /** Bytes the store's current buffer holds, used or not. */
  get capacity(): number {
    return this.buffer?.byteLength ?? 0;
  }
}
