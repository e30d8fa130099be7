// Where a traffic log keeps the bytes its connection receives: node reads each chunk straight into
// the store (socketReads.ts hands node `region()` as the next read buffer), so a received byte is
// neither copied nor given a buffer of its own. A buffer per read is what node's 'data' events
// cost, and in a process with a large heap (the extension host) every 32 MiB of new buffers forces
// a scavenge that starts a full mark of the heap on V8's worker threads (docs/benchmarks.md).
//
// The store is one buffer written in a circle, grown by doubling up to the log's byte limit. A
// record's bytes are a view into it, valid while the log retains the record; before a region is
// handed out for a read, the records it would overwrite are evicted (first in, first out). A buffer
// the store outgrows is never written again, so records still pointing into it stay intact.

/** The first buffer of a store: small, so a connection that says little costs little. */
const INITIAL_STORE_BYTES = 8 * 1024;
/** The first read region; it doubles up to MAX_REGION_BYTES while reads fill it (a busy stream). */
const INITIAL_REGION_BYTES = 8 * 1024;
/** A region smaller than this is not worth a read call: the log keeps copies then. */
const MIN_REGION_BYTES = 1024;
/** What node reads per call at most, as for its own reads. */
const MAX_REGION_BYTES = 64 * 1024;

/** How the store asks its log to let records go (the log is first in, first out). */
export interface StoreEviction {
  /** Number of the oldest record the log still retains (those before it are gone already). */
  oldestRetainedSeq(): number;
  /** Drop every record up to and including `seq`. */
  evictThrough(seq: number): void;
}

export class ReceiveStore {
  private buffer: Buffer | undefined;
  private writeAt = 0;
  /** The region last handed out for a read (a view at writeAt), until a read is committed from it. */
  private reserved: Buffer | undefined;
  private regionBytes = INITIAL_REGION_BYTES;
  /** The records committed in the current buffer, oldest first: their record numbers and offsets. */
  private placedSeqs: number[] = [];
  private placedStarts: number[] = [];
  private placedHead = 0;

  constructor(private readonly eviction: StoreEviction) {}

  /**
   * Where the next read should go: a region at the write position, the records it would overwrite
   * evicted first. Undefined when a read cannot live in the store (a byte limit under 4 KiB): the
   * caller reads elsewhere and logs a copy.
   */
  region(maxBytes: number): Buffer | undefined {
    // A region's records go before the read comes (it may never come): at most a quarter of the limit.
    const length = Math.min(this.regionBytes, Math.floor(maxBytes / 4));
    if (length < MIN_REGION_BYTES) return undefined;
    this.reserved = this.makeRoom(length, maxBytes);
    return this.reserved;
  }

  /**
   * Record `seq` took the first `bytes.byteLength` bytes of the region handed out last: true when
   * `bytes` is that region's start (committed in place), false when it is anything else (the log
   * then keeps a copy of its own).
   */
  commit(seq: number, bytes: Uint8Array): boolean {
    const region = this.reserved;
    if (region === undefined || bytes.buffer !== region.buffer || bytes.byteOffset !== region.byteOffset || bytes.byteLength > region.byteLength) return false;
    this.reserved = undefined;
    const start = this.writeAt;
    this.placedSeqs.push(seq);
    this.placedStarts.push(start);
    this.writeAt = start + bytes.byteLength;
    if (this.placedHead > 1024 && this.placedHead * 2 > this.placedSeqs.length) {
      this.placedSeqs = this.placedSeqs.slice(this.placedHead);
      this.placedStarts = this.placedStarts.slice(this.placedHead);
      this.placedHead = 0;
    }
    return true;
  }

  /** A read filled the buffer it was given: the stream is busy, so larger regions, fewer calls. */
  widen(): void {
    if (this.regionBytes < MAX_REGION_BYTES) this.regionBytes *= 2;
  }

  /** True when `view` lies in the buffer the store still writes (so its bytes will be reused). */
  holds(view: Uint8Array): boolean {
    return this.buffer !== undefined && view.buffer === this.buffer.buffer;
  }

  /** Forget the buffer (the log was cleared or compacted): the next region comes from a new one. */
  reset(): void {
    this.buffer = undefined;
    this.reserved = undefined;
    this.writeAt = 0;
    this.placedSeqs = [];
    this.placedStarts = [];
    this.placedHead = 0;
  }

  /** Bytes the store's current buffer holds, used or not. */
  get capacity(): number {
    return this.buffer?.byteLength ?? 0;
  }

  private makeRoom(length: number, maxBytes: number): Buffer {
    let buffer = this.buffer;
    if (buffer === undefined || this.writeAt + length > buffer.byteLength) {
      if (buffer === undefined || buffer.byteLength < maxBytes) {
        // Outgrown: a new buffer; the old one keeps its records' bytes and is never written again.
        let size = Math.max(INITIAL_STORE_BYTES, (buffer?.byteLength ?? 0) * 2);
        while (size < length) size *= 2;
        buffer = Buffer.allocUnsafeSlow(Math.min(size, Math.max(maxBytes, length)));
        this.buffer = buffer;
        this.placedSeqs = [];
        this.placedStarts = [];
        this.placedHead = 0;
      } else {
        // A new lap. Records of the lap before that still sit past the write position (less than
        // one region's worth) are older than all of this lap's, so they go first: then only this
        // lap's records remain, each ahead of the write position in the order they were written.
        while (this.placedHead < this.placedSeqs.length && this.placedStarts[this.placedHead] >= this.writeAt) {
          const placedSeq = this.placedSeqs[this.placedHead++];
          if (placedSeq >= this.eviction.oldestRetainedSeq()) this.eviction.evictThrough(placedSeq);
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
      if (placedSeq >= this.eviction.oldestRetainedSeq()) {
        if (start < from || start >= to) break;
        this.eviction.evictThrough(placedSeq);
      }
      this.placedHead++;
    }
    return buffer.subarray(from, to);
  }
}
