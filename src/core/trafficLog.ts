// The per-connection record of every chunk in and out. Retention is bounded (by record count and by
// bytes) so a long session cannot exhaust memory, while the totals keep counting every byte exactly.
// Optionally every record is also streamed to a JSON Lines capture file.
import { createWriteStream, type WriteStream } from 'node:fs';
import { TcpError } from './errors';
import { Emitter, type Event } from './events';
import type { Direction, TrafficTotals } from './types';

export interface TrafficRecord {
  /** 1-based, gap-free per log: a consumer can tell exactly how many records it missed. */
  seq: number;
  /** Epoch milliseconds when the chunk was received or written. */
  time: number;
  dir: Direction;
  /**
   * In the record append() returns and onDidAppend fires: the chunk as node delivered it (or as the
   * caller passed it to send), not copied, so the caller must not mutate a buffer after sending it.
   * In records() and recordsAfter(): a fresh copy of the log's own storage (a Buffer if the chunk
   * was one), which nothing ever writes to again; hold it as long as you like.
   */
  bytes: Uint8Array;
}

export interface TrafficLogLimits {
  maxRecords: number;
  maxBytes: number;
}

/** The defaults of the `tcpLab.log.maxRecords` and `tcpLab.log.maxBytes` settings. */
export const DEFAULT_LOG_LIMITS: Readonly<TrafficLogLimits> = { maxRecords: 10_000, maxBytes: 16 * 1024 * 1024 };

const INITIAL_CAPACITY = 16;
/** The smallest byte store a log allocates once something is appended; it doubles as needed up to maxBytes. */
const MIN_STORE_BYTES = 4096;
const EMPTY_STORE = new Uint8Array(0);

/** What the log keeps per retained record: its bytes live in the log's byte store. */
interface StoredRecord {
  seq: number;
  time: number;
  dir: Direction;
  /** Where the bytes start in the store; they may wrap around its end. */
  offset: number;
  length: number;
  /** Hand copies out as Buffers when the chunk was one, so consumers see the type they appended. */
  wasBuffer: boolean;
}

function sanitizeLimit(value: number | undefined, fallback: number): number {
  if (value === undefined || Number.isNaN(value)) return fallback;
  return Math.max(0, Math.floor(value));
}

function captureError(filePath: string, err: unknown): TcpError {
  const code = (err as { code?: unknown } | null)?.code;
  const detail = typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
  return new TcpError(
    'CAPTURE_FAILED',
    `Could not write the capture file "${filePath}" (${detail}); check that its folder exists, is writable and has free space, then start the capture again.`,
    { cause: err },
  );
}

interface ActiveCapture {
  filePath: string;
  stream: WriteStream;
  /** Set by the stream's 'error' event; reported by stopCapture() if nobody saw it earlier. */
  failure?: TcpError;
}

export class TrafficLog {
  private maxRecords: number;
  private maxBytes: number;
  private readonly clock: () => number;

  // A ring buffer (power-of-two capacity, grown by doubling) so eviction of the oldest record is
  // O(1) even with many thousands retained.
  private ring: (StoredRecord | undefined)[] = new Array<StoredRecord | undefined>(INITIAL_CAPACITY);
  private head = 0;
  private count = 0;
  private retainedBytes = 0;
  // The retained bytes, copied into one circular store owned by the log: the chunks themselves die
  // young instead of ageing into the old generation while they wait for eviction, which kept about
  // twice the byte limit resident. The store is never shrunk in place and hand-outs are copies, so
  // no byte anyone holds is ever overwritten. It grows with the retained bytes, up to maxBytes.
  private store: Uint8Array = EMPTY_STORE;
  /** Where the oldest retained byte sits in the store; the retained bytes follow it, wrapping. */
  private storeStart = 0;
  private nextSeq = 1;
  private capture: ActiveCapture | undefined;
  /** The flush of the last stopped capture, so every stopCapture() caller sees its outcome. */
  private stopping: Promise<void> | undefined;

  /** Exact counts since the log was created; eviction and clear() never reduce them. */
  readonly totals: TrafficTotals = { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 };
  /** Records (and their bytes) no longer retained, whether dropped by the limits or by clear(). */
  readonly evicted = { records: 0, bytes: 0 };

  private readonly appendEmitter = new Emitter<TrafficRecord>();
  readonly onDidAppend: Event<TrafficRecord> = this.appendEmitter.event;
  private readonly captureErrorEmitter = new Emitter<TcpError>();
  /** Fires once when writing the capture file fails; capturing stops at that point. */
  readonly onDidCaptureError: Event<TcpError> = this.captureErrorEmitter.event;

  constructor(limits?: Partial<TrafficLogLimits>, clock: () => number = Date.now) {
    this.maxRecords = sanitizeLimit(limits?.maxRecords, DEFAULT_LOG_LIMITS.maxRecords);
    this.maxBytes = sanitizeLimit(limits?.maxBytes, DEFAULT_LOG_LIMITS.maxBytes);
    this.clock = clock;
  }

  get limits(): TrafficLogLimits {
    return { maxRecords: this.maxRecords, maxBytes: this.maxBytes };
  }

  /** Apply new limits (e.g. the settings changed); evicts at once if the log is now over them. */
  setLimits(limits: Partial<TrafficLogLimits>): void {
    this.maxRecords = sanitizeLimit(limits.maxRecords, this.maxRecords);
    this.maxBytes = sanitizeLimit(limits.maxBytes, this.maxBytes);
    this.evictOverLimit();
  }

  /** What is still held in memory right now. */
  get retained(): { records: number; bytes: number } {
    return { records: this.count, bytes: this.retainedBytes };
  }

  get capturing(): boolean {
    return this.capture !== undefined && this.capture.failure === undefined;
  }

  append(dir: Direction, bytes: Uint8Array): TrafficRecord {
    const record: TrafficRecord = { seq: this.nextSeq++, time: this.clock(), dir, bytes };
    const size = bytes.byteLength;
    if (dir === 'in') {
      this.totals.bytesIn += size;
      this.totals.messagesIn++;
    } else {
      this.totals.bytesOut += size;
      this.totals.messagesOut++;
    }

    if (this.maxRecords === 0 || size > this.maxBytes) {
      // It could never be retained (a single record larger than maxBytes goes at once: the byte
      // limit is a hard bound), and making room for it empties the log.
      while (this.count > 0) this.evictOldest();
      this.evicted.records++;
      this.evicted.bytes += size;
    } else {
      // Room first, so the store never needs to hold more than maxBytes.
      while (this.count > 0 && (this.count >= this.maxRecords || this.retainedBytes + size > this.maxBytes)) this.evictOldest();
      this.retain(record, size);
    }

    if (this.capture !== undefined && this.capture.failure === undefined) this.writeCaptureLine(this.capture, record);
    this.appendEmitter.fire(record);
    return record;
  }

  /** The retained records, oldest first; new objects with copied bytes on every call. */
  records(): readonly TrafficRecord[] {
    return this.recordsFrom(0);
  }

  /** Retained records with seq greater than `seq`, oldest first: what a viewer that saw `seq` still lacks. */
  recordsAfter(seq: number): readonly TrafficRecord[] {
    const oldest = this.count > 0 ? (this.ring[this.head] as StoredRecord).seq : this.nextSeq;
    // seq numbers are consecutive inside the ring, so the start index is arithmetic, not a search.
    return this.recordsFrom(Math.min(this.count, Math.max(0, seq - oldest + 1)));
  }

  clear(): void {
    this.evicted.records += this.count;
    this.evicted.bytes += this.retainedBytes;
    this.ring = new Array<StoredRecord | undefined>(INITIAL_CAPACITY);
    this.head = 0;
    this.count = 0;
    this.retainedBytes = 0;
    this.store = EMPTY_STORE;
    this.storeStart = 0;
  }

  /**
   * Stream every record appended from now on to `filePath` as JSON Lines
   * (`{"seq":1,"time":…,"dir":"in","base64":"…"}`). Resolves once the file is open (and a capture
   * that was running before has been flushed and closed).
   */
  async startCapture(filePath: string): Promise<void> {
    // Everything up to the first await runs synchronously, so no record can slip between the
    // call and the new capture. The previous capture (if any) is flushed alongside; its failure
    // was already reported through onDidCaptureError. Reusing its path while it flushes is not supported.
    const previous = this.capture ? this.stopCapture().catch(() => undefined) : undefined;
    this.stopping = undefined;
    const stream = createWriteStream(filePath, { flags: 'w' });
    const capture: ActiveCapture = { filePath, stream };
    // Installed before the file is open so records appended meanwhile are queued in order.
    this.capture = capture;
    let opened = false;
    stream.on('error', (err) => {
      if (capture.failure) return;
      capture.failure = captureError(filePath, err);
      // A file that cannot even be opened is reported by startCapture's rejection instead.
      if (opened) this.captureErrorEmitter.fire(capture.failure);
    });
    const ready = new Promise<void>((resolve, reject) => {
      const onOpen = (): void => {
        opened = true;
        stream.off('error', onError);
        resolve();
      };
      const onError = (): void => {
        stream.off('open', onOpen);
        if (this.capture === capture) this.capture = undefined;
        stream.destroy();
        reject(capture.failure ?? captureError(filePath, new Error('open failed')));
      };
      stream.once('open', onOpen);
      stream.once('error', onError);
    });
    await Promise.all([previous, ready]);
  }

  /**
   * Flush and close the capture file; rejects with the write failure if one happened. Calling it
   * again (or after the owning connection closed) waits for the same flush and reports the same result.
   */
  stopCapture(): Promise<void> {
    const capture = this.capture;
    if (!capture) return this.stopping ?? Promise.resolve();
    this.capture = undefined;
    this.stopping = this.finishCapture(capture);
    return this.stopping;
  }

  private async finishCapture(capture: ActiveCapture): Promise<void> {
    const { stream } = capture;
    if (!capture.failure) {
      await new Promise<void>((resolve) => {
        // 'close' follows both a clean finish and a failure, and means the descriptor is released.
        stream.once('close', () => resolve());
        stream.end();
      });
    } else if (!stream.closed) {
      await new Promise<void>((resolve) => {
        stream.once('close', () => resolve());
        stream.destroy();
      });
    }
    if (capture.failure) throw capture.failure;
  }

  /** Stop capturing without waiting; used when the owning connection is thrown away. */
  dispose(): void {
    const capture = this.capture;
    this.capture = undefined;
    capture?.stream.end();
    this.appendEmitter.dispose();
    this.captureErrorEmitter.dispose();
  }

  private writeCaptureLine(capture: ActiveCapture, record: TrafficRecord): void {
    const { bytes } = record;
    const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    // Every field is a number, a fixed word or base64, so no JSON escaping is needed.
    capture.stream.write(`{"seq":${record.seq},"time":${record.time},"dir":"${record.dir}","base64":"${base64}"}\n`);
  }

  private recordsFrom(skip: number): TrafficRecord[] {
    const out = new Array<TrafficRecord>(this.count - skip);
    const mask = this.ring.length - 1;
    for (let i = skip; i < this.count; i++) {
      const stored = this.ring[(this.head + i) & mask] as StoredRecord;
      out[i - skip] = { seq: stored.seq, time: stored.time, dir: stored.dir, bytes: this.copyOut(stored) };
    }
    return out;
  }

  /** A record's bytes in a new buffer of their own. */
  private copyOut(stored: StoredRecord): Uint8Array {
    const out = stored.wasBuffer ? Buffer.allocUnsafe(stored.length) : new Uint8Array(stored.length);
    this.copyInto(stored, out, 0);
    return out;
  }

  /** Copy a record's bytes (which may wrap around the store's end) to `target` at `at`. */
  private copyInto(stored: StoredRecord, target: Uint8Array, at: number): void {
    const { offset, length } = stored;
    const store = this.store;
    const firstPart = Math.min(length, store.length - offset);
    target.set(store.subarray(offset, offset + firstPart), at);
    if (firstPart < length) target.set(store.subarray(0, length - firstPart), at + firstPart);
  }

  /** Copy a record's bytes into the store (growing it if needed) and keep its metadata. */
  private retain(record: TrafficRecord, size: number): void {
    if (this.retainedBytes + size > this.store.length) this.growStore(this.retainedBytes + size);
    const store = this.store;
    const capacity = store.length;
    let offset = this.storeStart + this.retainedBytes;
    if (offset >= capacity) offset -= capacity;
    const { bytes } = record;
    const firstPart = Math.min(size, capacity - offset);
    store.set(firstPart === size ? bytes : bytes.subarray(0, firstPart), offset);
    if (firstPart < size) store.set(bytes.subarray(firstPart), 0);

    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) & (this.ring.length - 1)] = {
      seq: record.seq,
      time: record.time,
      dir: record.dir,
      offset,
      length: size,
      wasBuffer: Buffer.isBuffer(bytes),
    };
    this.count++;
    this.retainedBytes += size;
  }

  /** A bigger store (doubling, at most maxBytes). */
  private growStore(needed: number): void {
    this.resizeStore(Math.min(Math.max(needed, this.store.length * 2, MIN_STORE_BYTES), Math.max(needed, this.maxBytes)));
  }

  /** Move the retained bytes to the start of a new store of `capacity` bytes (at least the retained ones). */
  private resizeStore(capacity: number): void {
    const next = new Uint8Array(capacity);
    const mask = this.ring.length - 1;
    let offset = 0;
    for (let i = 0; i < this.count; i++) {
      const stored = this.ring[(this.head + i) & mask] as StoredRecord;
      this.copyInto(stored, next, offset);
      stored.offset = offset;
      offset += stored.length;
    }
    this.store = next;
    this.storeStart = 0;
  }

  private grow(): void {
    const old = this.ring;
    const mask = old.length - 1;
    const next = new Array<StoredRecord | undefined>(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & mask];
    this.ring = next;
    this.head = 0;
  }

  private evictOverLimit(): void {
    while (this.count > 0 && (this.count > this.maxRecords || this.retainedBytes > this.maxBytes)) this.evictOldest();
    // A lowered byte limit also gives back the store's unneeded capacity.
    if (this.store.length > Math.max(this.maxBytes, MIN_STORE_BYTES)) this.resizeStore(Math.max(this.maxBytes, MIN_STORE_BYTES));
  }

  private evictOldest(): void {
    const stored = this.ring[this.head] as StoredRecord;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) & (this.ring.length - 1);
    this.count--;
    this.retainedBytes -= stored.length;
    this.evicted.records++;
    this.evicted.bytes += stored.length;
    if (this.count === 0) {
      this.storeStart = 0;
    } else {
      this.storeStart += stored.length;
      if (this.storeStart >= this.store.length) this.storeStart -= this.store.length;
    }
  }
}
