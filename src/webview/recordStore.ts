// The webview's bounded copy of the traffic: a ring that forgets the oldest records once the
// user's log limits (records and bytes) are reached. Bytes stay base64 until a row is drawn, so a
// million small records cost little more than their strings.
import type { WireRecord } from '../shared/protocol';
import { base64ToBytes } from './codec';

export interface LogRecord extends WireRecord {
  /** Decoded byte length, known without decoding. */
  length: number;
}

function base64Length(data: string): number {
  const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return (data.length / 4) * 3 - padding;
}

const decoded = new WeakMap<LogRecord, Uint8Array>();

/** The record's bytes, decoded on first use and cached while the record lives. */
export function bytesOf(record: LogRecord): Uint8Array {
  let bytes = decoded.get(record);
  if (!bytes) decoded.set(record, (bytes = base64ToBytes(record.data)));
  return bytes;
}

/**
 * The first `count` bytes (or all of them), decoding only the base64 needed: previews of 64 KiB
 * reads must not cost a full decode each frame.
 */
export function leadingBytesOf(record: LogRecord, count: number): Uint8Array {
  const cached = decoded.get(record);
  if (cached || count >= record.length) return (cached ?? bytesOf(record)).subarray(0, count);
  return base64ToBytes(record.data.slice(0, Math.ceil(count / 3) * 4)).subarray(0, count);
}

export class RecordStore {
  private items: LogRecord[] = [];
  private head = 0;
  private byteCount = 0;
  /** Records forgotten because of the limits (plus those the host reported as dropped). */
  evicted = 0;

  constructor(
    private maxRecords: number,
    private maxBytes: number,
  ) {}

  setLimits(maxRecords: number, maxBytes: number): void {
    this.maxRecords = Math.max(1, maxRecords);
    this.maxBytes = Math.max(1, maxBytes);
    this.enforce();
  }

  get size(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.byteCount;
  }

  /** Sequence number of the oldest retained record (Infinity when empty). */
  get firstSeq(): number {
    return this.size > 0 ? this.items[this.head].seq : Infinity;
  }

  append(wire: WireRecord): LogRecord {
    const record: LogRecord = { ...wire, length: base64Length(wire.data) };
    this.items.push(record);
    this.byteCount += record.length;
    this.enforce();
    return record;
  }

  /** Oldest first. */
  *[Symbol.iterator](): IterableIterator<LogRecord> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i];
  }

  last(): LogRecord | undefined {
    return this.size > 0 ? this.items[this.items.length - 1] : undefined;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
    this.byteCount = 0;
  }

  private enforce(): void {
    // Keep at least the newest record, even when it alone exceeds the byte limit.
    while (this.size > 1 && (this.size > this.maxRecords || this.byteCount > this.maxBytes)) {
      this.byteCount -= this.items[this.head].length;
      this.head++;
      this.evicted++;
    }
    // Compact now and then instead of shifting on every eviction.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
