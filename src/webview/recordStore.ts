// The webview's window onto the host's rows: a contiguous run of them, bounded by the user's log
// limits (records and bytes). The host keeps every row; this holds what the view shows and what is
// near it, and forgets the far end when more is loaded. Bytes stay base64 until a row is drawn.
import type { WireRecord } from '../shared/protocol';
import { base64ToBytes } from './codec';

export type LogRecord = WireRecord;

const decoded = new WeakMap<LogRecord, Uint8Array>();
const whole = new WeakMap<LogRecord, Uint8Array>();

function base64Length(data: string): number {
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return (data.length / 4) * 3 - padding;
}

/** The bytes this webview has of the record: all of them, or its preview when it is long. */
export function bytesOf(record: LogRecord): Uint8Array {
  const full = whole.get(record);
  if (full) return full;
  let bytes = decoded.get(record);
  if (!bytes) decoded.set(record, (bytes = base64ToBytes(record.data)));
  return bytes;
}

/** Whether bytesOf() is the whole record (a long one crosses as a preview until fetched). */
export function isComplete(record: LogRecord): boolean {
  return whole.has(record) || base64Length(record.data) >= record.length;
}

/** Keeps the whole bytes fetched for a long record (expand, copy). */
export function setWholeBytes(record: LogRecord, bytes: Uint8Array): void {
  whole.set(record, bytes);
}

/**
 * The first `count` bytes (or all there are), decoding only the base64 needed: previews of long
 * reads must not cost a full decode each frame.
 */
export function leadingBytesOf(record: LogRecord, count: number): Uint8Array {
  const cached = whole.get(record) ?? decoded.get(record);
  if (cached || count >= base64Length(record.data)) return (cached ?? bytesOf(record)).subarray(0, count);
  return base64ToBytes(record.data.slice(0, Math.ceil(count / 3) * 4)).subarray(0, count);
}

export class RecordStore {
  private items: LogRecord[] = [];
  private head = 0;
  private byteCount = 0;

  constructor(
    private maxRecords: number,
    private maxBytes: number,
  ) {}

  setLimits(maxRecords: number, maxBytes: number): void {
    this.maxRecords = Math.max(1, maxRecords);
    this.maxBytes = Math.max(1, maxBytes);
    this.trimOldest();
  }

  get size(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.byteCount;
  }

  /** Id of the oldest record held (Infinity when empty). */
  get firstSeq(): number {
    return this.size > 0 ? this.items[this.head].seq : Infinity;
  }

  /** Id of the newest record held (0 when empty). */
  get lastSeq(): number {
    return this.size > 0 ? this.items[this.items.length - 1].seq : 0;
  }

  /** Adds newer records; the oldest are forgotten beyond the limits. */
  append(record: LogRecord): LogRecord {
    this.items.push(record);
    this.byteCount += record.length;
    this.trimOldest();
    return record;
  }

  /** Adds older records in front (oldest first); the newest are forgotten beyond the limits. */
  prepend(records: readonly LogRecord[]): void {
    if (records.length === 0) return;
    this.items = [...records, ...this.items.slice(this.head)];
    this.head = 0;
    for (const record of records) this.byteCount += record.length;
    // Keep at least what was just loaded: it is what the user scrolled to.
    while (this.size > records.length && (this.size > this.maxRecords || this.byteCount > this.maxBytes)) {
      this.byteCount -= (this.items.pop() as LogRecord).length;
    }
  }

  /** Oldest first. */
  *[Symbol.iterator](): IterableIterator<LogRecord> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i];
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.byteCount = 0;
  }

  private trimOldest(): void {
    // Keep at least the newest record, even when it alone exceeds the byte limit.
    while (this.size > 1 && (this.size > this.maxRecords || this.byteCount > this.maxBytes)) {
      this.byteCount -= this.items[this.head].length;
      this.head++;
    }
    // Compact now and then instead of shifting on every eviction.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
