// Text view across record boundaries. TCP may cut a multi-byte character between two reads (or two
// writes), so each record is decoded as part of its connection's stream in one direction: bytes of a
// character left unfinished at the end of a record are carried into the next record of the same
// connection and direction, where the character is shown whole.
import type { TextEncodingName } from '../shared/payloadTypes';
import { TextStreamDecoder } from '../shared/textStreamDecoder';
import { isComplete as complete, type LogRecord } from './recordStore';

/** For one record and one encoding: the bytes carried in from before, and how many of its last bytes go on to the next record. */
export interface TextCarry {
  encoding: TextEncodingName;
  lead: Uint8Array;
  hold: number;
}

const EMPTY = new Uint8Array(0);
const carries = new WeakMap<LogRecord, TextCarry>();

export function carryOf(record: LogRecord, encoding: TextEncodingName): TextCarry | undefined {
  const carry = carries.get(record);
  return carry && carry.encoding === encoding ? carry : undefined;
}

/** The record's bytes as the text view decodes them: carried-in bytes first, held-back bytes cut off. */
export function streamBytes(bytes: Uint8Array, carry: TextCarry | undefined): Uint8Array {
  if (!carry || (carry.lead.length === 0 && carry.hold === 0)) return bytes;
  const combined = new Uint8Array(carry.lead.length + bytes.length);
  combined.set(carry.lead);
  combined.set(bytes, carry.lead.length);
  return combined.subarray(0, combined.length - carry.hold);
}

function isContinuation(byte: number): boolean {
  return byte >= 0x80 && byte <= 0xbf;
}

/** Follows every connection-and-direction stream of the log for the current display encoding. */
export class StreamTextTracker {
  private readonly decoders = new Map<string, TextStreamDecoder>();
  private readonly pending = new Map<string, Uint8Array>();

  constructor(private encoding: TextEncodingName) {}

  /** Starts over for another encoding (or a cleared log); call `track` again for retained records. */
  reset(encoding: TextEncodingName): void {
    this.encoding = encoding;
    this.decoders.clear();
    this.pending.clear();
  }

  track(record: LogRecord, bytes: () => Uint8Array): void {
    if (record.kind === 'error' || record.kind === 'event' || this.encoding === 'latin1' || this.encoding === 'ascii') return;
    const key = `${record.conn}|${record.dir}`;
    if (!complete(record)) {
      // Only a long record's preview is here: nothing is carried into or out of it.
      this.pending.delete(key);
      this.decoders.delete(key);
      carries.delete(record);
      return;
    }
    const lead = this.pending.get(key) ?? EMPTY;
    const data = bytes();
    const combined = lead.length ? concat(lead, data) : data;
    const hold = this.encoding === 'utf-8' ? utf8Hold(combined) : this.decoderHold(key, data);
    this.pending.set(key, hold ? combined.slice(combined.length - hold) : EMPTY);
    if (lead.length || hold) carries.set(record, { encoding: this.encoding, lead, hold });
    else carries.delete(record);
  }

  /** Stateful encodings (gbk, shift_jis, utf-16le…) are not self-synchronising: decode the whole stream. */
  private decoderHold(key: string, data: Uint8Array): number {
    let decoder = this.decoders.get(key);
    if (!decoder) this.decoders.set(key, (decoder = new TextStreamDecoder(this.encoding)));
    decoder.write(data);
    return decoder.pendingBytes;
  }
}

/**
 * UTF-8 resynchronises at any byte that is not a continuation byte, so only the last character
 * decides what is unfinished: decode from its lead byte and see what the decoder holds back.
 */
function utf8Hold(bytes: Uint8Array): number {
  let start = bytes.length;
  for (let i = bytes.length - 1; i >= Math.max(0, bytes.length - 4); i--) {
    if (!isContinuation(bytes[i])) {
      start = i;
      break;
    }
  }
  if (start === bytes.length || bytes[start] < 0x80) return 0;
  tailDecoder.reset();
  tailDecoder.write(bytes.subarray(start));
  return tailDecoder.pendingBytes;
}

/** One decoder reused for every tail: a flood of small records must not allocate one each. */
const tailDecoder = new TextStreamDecoder('utf-8');

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
