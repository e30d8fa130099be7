// The per-connection record of every chunk in and out. Retention is bounded (by record count and by
// bytes) so a long session cannot exhaust memory, while the totals keep counting every byte exactly.
// Optionally every record is also streamed to a capture file (captureFormats.ts, captureWriter.ts).
import { jsonLinesEncoder, type CaptureEncoder, type CaptureEnding } from './captureFormats';
import { CaptureWriter } from './captureWriter';
import { TcpError } from './errors';
import { Emitter, type Event } from './events';
import { ReceiveStore } from './receiveStore';
import type { Direction, TrafficTotals } from './types';

export interface TrafficRecord {
  /** 1-based, gap-free per log: a consumer can tell exactly how many records it missed. */
  seq: number;
  /** Epoch milliseconds when the chunk was received or written. */
  time: number;
  dir: Direction;
  /**
   * The chunk as node delivered it (or as the caller passed it to send; a send larger than one
   * slice as each slice was handed to the socket); never copied, so the caller must not mutate a
   * buffer after sending it. Bytes a plain socket read into the log's store (appendReceived) are a
   * view into it instead: unchanged while the log retains the record (recordAt finds it), reused
   * some time after it is evicted; stableRecord() gives a copy to keep.
   */
  bytes: Uint8Array;
  /** Set on the second and later slices of one send: the record continues the previous 'out' record. */
  continued?: true;
  /**
   * Proxy pairs: which toxic touched these bytes and what it did, one phrase naming the toxic first,
   * e.g. "latency_downstream +200 ms", "drop_ok dropped 12 bytes", "slicer_upstream slice 3 of 7".
   */
  fault?: string;
  /**
   * Proxy pairs: these bytes did not go on to the other side. On an 'in' record they were received
   * from the client (and count) but never reached the upstream; on an 'out' note they came from the
   * upstream but were never written to the client.
   */
  dropped?: true;
  /**
   * Not traffic on this socket but a line about it (set by appendNote): "the upstream refused the
   * connection; …", "reset_peer_downstream reset the pair", or the bytes of a dropped 'out' chunk.
   * Notes never count in the totals and are not wire bytes (pcapng export and capture files skip them).
   */
  note?: string;
  /** Proxy pairs: bytes TCP Lab added to the conversation (injected from the panel), not relayed. */
  injected?: true;
}

export interface TrafficLogLimits {
  maxRecords: number;
  maxBytes: number;
}

/**
 * The defaults of the `tcpLab.log.maxRecords` and `tcpLab.log.maxBytes` settings. 4 MiB per connection
 * is far more than anyone reads on screen, keeps a thousand connections affordable, and lets a stream
 * run at raw-socket speed (retained chunks age into V8's old generation, so a larger window costs
 * full garbage collections; see docs/benchmarks.md). A capture file keeps everything.
 */
export const DEFAULT_LOG_LIMITS: Readonly<TrafficLogLimits> = { maxRecords: 10_000, maxBytes: 4 * 1024 * 1024 };

const INITIAL_CAPACITY = 16;
/** Received bytes after which a connection's reads go into its log's store (see receiveRegion). */
const STORE_AFTER_BYTES = 16 * 1024;
const NO_BYTES = new Uint8Array(0);

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
  writer: CaptureWriter;
  encoder: CaptureEncoder;
  /** Set when writing fails; reported by stopCapture() if nobody saw it earlier. */
  failure?: TcpError;
}

export class TrafficLog {
  private maxRecords: number;
  private maxBytes: number;
  private readonly clock: () => number;

  // A ring buffer (power-of-two capacity, grown by doubling) so eviction of the oldest record is
  // O(1) even with many thousands retained.
  private ring: (TrafficRecord | undefined)[] = new Array<TrafficRecord | undefined>(INITIAL_CAPACITY);
  private head = 0;
  private count = 0;
  private retainedBytes = 0;
  private nextSeq = 1;
  private capture: ActiveCapture | undefined;
  /** The flush of the last stopped capture, so every stopCapture() caller sees its outcome. */
  private stopping: Promise<void> | undefined;
  private backpressure = false;
  /** Bytes of a store kept at close beyond what its records use (see compact). */
  private storeSlack = 0;
  private readonly received = new ReceiveStore({ oldestRetainedSeq: () => this.oldestSeq, evictThrough: (seq) => this.evictThrough(seq) });

  /** Exact counts since the log was created; eviction and clear() never reduce them. */
  readonly totals: TrafficTotals = { bytesIn: 0, bytesOut: 0, messagesIn: 0, messagesOut: 0 };
  /** Records (and their bytes) no longer retained, whether dropped by the limits or by clear(). */
  readonly evicted = { records: 0, bytes: 0 };

  private readonly appendEmitter = new Emitter<TrafficRecord>();
  readonly onDidAppend: Event<TrafficRecord> = this.appendEmitter.event;
  private readonly captureErrorEmitter = new Emitter<TcpError>();
  /** Fires once when writing the capture file fails; capturing stops at that point. */
  readonly onDidCaptureError: Event<TcpError> = this.captureErrorEmitter.event;
  private readonly backpressureEmitter = new Emitter<boolean>();
  /**
   * Fires with true when the capture file falls behind (more than captureWriter's CAPTURE_HIGH_WATER_BYTES waiting
   * for the disk) and with false once it has caught up, stopped or failed. The owner should stop
   * adding records meanwhile (a Connection stops reading its socket), so nothing is dropped and
   * memory stays bounded.
   */
  readonly onDidChangeCaptureBackpressure: Event<boolean> = this.backpressureEmitter.event;

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

  /** The memory the retained records keep: their bytes, and the unused part of a store kept at close. */
  get heldBytes(): number {
    return this.retainedBytes + this.storeSlack;
  }

  /** Record number of the oldest retained record (the next one's when none is retained). */
  get oldestSeq(): number {
    return this.count > 0 ? (this.ring[this.head] as TrafficRecord).seq : this.nextSeq;
  }

  /** Record number of the newest record appended so far (0 before the first). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  get capturing(): boolean {
    return this.capture !== undefined && this.capture.failure === undefined;
  }

  /** The capture file is behind: see onDidChangeCaptureBackpressure. */
  get captureBackpressure(): boolean {
    return this.backpressure;
  }

  /**
   * Records a chunk. `continued` marks a later slice of one large send: its bytes count, but it is
   * not another message, so messagesOut stays one per send however the send was sliced.
   */
  append(dir: Direction, bytes: Uint8Array, continued = false): TrafficRecord {
    const record: TrafficRecord = { seq: this.nextSeq++, time: this.clock(), dir, bytes };
    const size = bytes.byteLength;
    if (dir === 'in') {
      this.totals.bytesIn += size;
      this.totals.messagesIn++;
    } else {
      this.totals.bytesOut += size;
      if (continued) record.continued = true;
      else this.totals.messagesOut++;
    }

    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) & (this.ring.length - 1)] = record;
    this.count++;
    this.retainedBytes += size;
    this.evictOverLimit();

    if (this.capture !== undefined && this.capture.failure === undefined) this.writeCaptureLine(this.capture, record);
    this.appendEmitter.fire(record);
    return record;
  }

  /**
   * Where the connection's next read should go: a region of the log's store (see receiveStore.ts),
   * the records it would overwrite already evicted; undefined when the byte limit is too small for one.
   */
  receiveRegion(): Buffer | undefined {
    // A connection that has said little (a request, a one-shot client) reads into the shared scratch
    // buffer and keeps copies, most from node's pool: a store of its own pays once it streams.
    if (this.totals.bytesIn < STORE_AFTER_BYTES) return undefined;
    return this.received.region(this.maxBytes);
  }

  /** A read filled the buffer it was given (a busy stream): the next regions are larger. */
  receiveRegionFilled(): void {
    this.received.widen();
  }

  /**
   * Records received bytes: kept in place when they are the start of the region receiveRegion()
   * handed out last (node read them there), otherwise as a copy of their own (the caller may reuse them).
   */
  appendReceived(bytes: Uint8Array): TrafficRecord {
    const inPlace = this.received.commit(this.nextSeq, bytes);
    return this.append('in', inPlace ? bytes : Buffer.from(bytes));
  }

  /**
   * Proxy pairs: bytes a fault changed on their way, logged with what it did (see TrafficRecord.fault);
   * counted like append(). The fast path without faults calls append() and pays nothing for this.
   */
  appendFaulted(dir: Direction, bytes: Uint8Array, fault: string | undefined, dropped = false, injected = false): TrafficRecord {
    const record: TrafficRecord = { seq: this.nextSeq++, time: this.clock(), dir, bytes };
    if (fault !== undefined) record.fault = fault;
    if (dropped) record.dropped = true;
    if (injected) record.injected = true;
    return this.store(record, true);
  }

  /**
   * A line about the connection that is not traffic (see TrafficRecord.note): kept in order with
   * the records, never counted, never captured. `bytes` are those a fault kept off this socket.
   */
  appendNote(dir: Direction, note: string, options: { bytes?: Uint8Array; fault?: string; dropped?: boolean; injected?: boolean } = {}): TrafficRecord {
    const record: TrafficRecord = { seq: this.nextSeq++, time: this.clock(), dir, bytes: options.bytes ?? NO_BYTES, note };
    if (options.fault !== undefined) record.fault = options.fault;
    if (options.dropped) record.dropped = true;
    if (options.injected) record.injected = true;
    return this.store(record, false);
  }

  /** Counts (when traffic), retains, captures and announces one record. */
  private store(record: TrafficRecord, counted: boolean): TrafficRecord {
    const size = record.bytes.byteLength;
    if (counted) {
      if (record.dir === 'in') {
        this.totals.bytesIn += size;
        this.totals.messagesIn++;
      } else {
        this.totals.bytesOut += size;
        this.totals.messagesOut++;
      }
    }
    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) & (this.ring.length - 1)] = record;
    this.count++;
    this.retainedBytes += size;
    this.evictOverLimit();
    if (counted && this.capture !== undefined && this.capture.failure === undefined) this.writeCaptureLine(this.capture, record);
    this.appendEmitter.fire(record);
    return record;
  }

  /**
   * The record, or a copy whose bytes stay unchanged after the log lets it go (received bytes still
   * in the store are copied): for whoever keeps bytes beyond the moment, across an await or a queue.
   */
  stableRecord(record: TrafficRecord): TrafficRecord {
    return this.received.holds(record.bytes) ? { ...record, bytes: Buffer.from(record.bytes) } : record;
  }

  /** The retained records, oldest first. */
  records(): readonly TrafficRecord[] {
    const out = new Array<TrafficRecord>(this.count);
    const mask = this.ring.length - 1;
    for (let i = 0; i < this.count; i++) out[i] = this.ring[(this.head + i) & mask] as TrafficRecord;
    return out;
  }

  /** The retained record with this number, or undefined once the log has dropped it (O(1): numbers are consecutive). */
  recordAt(seq: number): TrafficRecord | undefined {
    if (this.count === 0) return undefined;
    const index = seq - (this.ring[this.head] as TrafficRecord).seq;
    if (index < 0 || index >= this.count || !Number.isInteger(index)) return undefined;
    return this.ring[(this.head + index) & (this.ring.length - 1)];
  }

  clear(): void {
    this.evicted.records += this.count;
    this.evicted.bytes += this.retainedBytes;
    this.ring = new Array<TrafficRecord | undefined>(INITIAL_CAPACITY);
    this.head = 0;
    this.count = 0;
    this.retainedBytes = 0;
    this.storeSlack = 0;
    this.received.reset();
  }

  /**
   * The connection closed: no more bytes will arrive, so a closed connection kept in the history
   * should hold what it retains, not the store it grew (up to the byte limit). A store mostly filled
   * with retained records (a stream's) is kept as it is: its records already point into it, and a
   * copy would be a new buffer of nearly its size (new buffer memory is what starts full collections
   * of the extension host's heap; see socketReads.ts), so at most a quarter of it is unused
   * (heldBytes counts that). Otherwise those records move into one buffer of their exact size.
   * Either way views handed out before stay valid: the store is never written again.
   */
  compact(): void {
    const capacity = this.received.capacity;
    if (capacity === 0) return;
    const mask = this.ring.length - 1;
    let inBytes = 0;
    for (let i = 0; i < this.count; i++) {
      const record = this.ring[(this.head + i) & mask] as TrafficRecord;
      if (this.received.holds(record.bytes)) inBytes += record.bytes.byteLength;
    }
    if (inBytes * 4 >= capacity * 3) {
      this.storeSlack = capacity - inBytes;
      this.received.reset();
      return;
    }
    const packed = Buffer.allocUnsafeSlow(inBytes);
    let at = 0;
    for (let i = 0; i < this.count; i++) {
      const record = this.ring[(this.head + i) & mask] as TrafficRecord;
      if (!this.received.holds(record.bytes)) continue;
      packed.set(record.bytes, at);
      record.bytes = packed.subarray(at, at + record.bytes.byteLength);
      at += record.bytes.byteLength;
    }
    this.received.reset();
  }

  /**
   * Stream every record appended from now on to `filePath`, as JSON Lines unless another encoder is
   * given (see captureFormats.ts). Resolves once the file is open (and a capture that was running
   * before has been flushed and closed).
   */
  async startCapture(filePath: string, encoder: CaptureEncoder = jsonLinesEncoder()): Promise<void> {
    // Everything up to the first await runs synchronously, so no record can slip between the
    // call and the new capture. The previous capture (if any) is flushed alongside; its failure
    // was already reported through onDidCaptureError. Reusing its path while it flushes is not supported.
    const previous = this.capture ? this.stopCapture().catch(() => undefined) : undefined;
    this.stopping = undefined;
    let opened = false;
    const capture: ActiveCapture = {
      encoder,
      writer: new CaptureWriter(filePath, {
        onBehind: () => this.updateBackpressure(),
        onError: (err) => {
          if (capture.failure) return;
          capture.failure = captureError(filePath, err);
          this.updateBackpressure();
          // A file that cannot even be opened is reported by startCapture's rejection instead.
          if (opened) this.captureErrorEmitter.fire(capture.failure);
        },
      }),
    };
    // Installed before the file is open so records appended meanwhile are queued in order.
    this.capture = capture;
    for (const part of encoder.start()) capture.writer.write(part);
    this.updateBackpressure();
    const ready = capture.writer.ready.then(
      () => {
        opened = true;
      },
      (err: unknown) => {
        capture.failure ??= captureError(filePath, err);
        if (this.capture === capture) this.capture = undefined;
        this.updateBackpressure();
        throw capture.failure;
      },
    );
    await Promise.all([previous, ready]);
  }

  /**
   * Flush and close the capture file; rejects with the write failure if one happened. Calling it
   * again (or after the owning connection closed) waits for the same flush and reports the same result.
   * `ending` says how the connection closed, for a format that records it (pcapng).
   */
  stopCapture(ending?: CaptureEnding): Promise<void> {
    const capture = this.capture;
    if (!capture) return this.stopping ?? Promise.resolve();
    this.capture = undefined;
    if (capture.failure === undefined) for (const part of capture.encoder.end(ending, this.clock())) capture.writer.write(part);
    // What is already queued still reaches the file; nothing new is added, so the owner may go on.
    this.updateBackpressure();
    this.stopping = this.finishCapture(capture);
    return this.stopping;
  }

  private async finishCapture(capture: ActiveCapture): Promise<void> {
    // Resolves once the descriptor is released, after a clean finish and after a failure alike.
    await capture.writer.end();
    if (capture.failure) throw capture.failure;
  }

  /** Stop capturing without waiting; used when the owning connection is thrown away. */
  dispose(): void {
    const capture = this.capture;
    this.capture = undefined;
    void capture?.writer.end();
    this.updateBackpressure();
    this.appendEmitter.dispose();
    this.captureErrorEmitter.dispose();
    this.backpressureEmitter.dispose();
  }

  private writeCaptureLine(capture: ActiveCapture, record: TrafficRecord): void {
    for (const part of capture.encoder.record(record)) capture.writer.write(part);
  }

  /** Derives the backpressure flag from the active capture and fires when it changes. */
  private updateBackpressure(): void {
    const capture = this.capture;
    const behind = capture !== undefined && capture.failure === undefined && capture.writer.isBehind;
    if (behind === this.backpressure) return;
    this.backpressure = behind;
    this.backpressureEmitter.fire(behind);
  }

  private grow(): void {
    const old = this.ring;
    const mask = old.length - 1;
    const next = new Array<TrafficRecord | undefined>(old.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & mask];
    this.ring = next;
    this.head = 0;
  }

  private evictOverLimit(): void {
    // A single record larger than maxBytes is evicted at once: the byte limit is a hard bound.
    while (this.count > 0 && (this.count > this.maxRecords || this.retainedBytes > this.maxBytes)) {
      this.evictOldest();
    }
  }

  /** Evicts the oldest records up to and including record `seq` (the store needs their room). */
  private evictThrough(seq: number): void {
    while (this.count > 0 && (this.ring[this.head] as TrafficRecord).seq <= seq) this.evictOldest();
  }

  private evictOldest(): void {
    const record = this.ring[this.head] as TrafficRecord;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) & (this.ring.length - 1);
    this.count--;
    this.retainedBytes -= record.bytes.byteLength;
    this.evicted.records++;
    this.evicted.bytes += record.bytes.byteLength;
  }
}
