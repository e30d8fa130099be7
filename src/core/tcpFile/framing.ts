// A `.tcp` block's FRAMING: the same framing definition presets and the panel use (shared/framing.ts,
// cut by core/framer.ts), written either as JSON or as one of four short names. Only `line` adds
// something of its own: it drops one CR before each LF, so LF and CRLF peers read the same.
import { Framer, type FramerEvent } from '../framer';
import { DEFAULT_MAX_FRAME_BYTES, validateFraming, type FramingDefinition, type ResolvedFraming } from '../../shared/framing';
import { errorMessage } from '../../shared/errorMessage';
import { findChecksumClause, parseChecksumClause } from './checksumClause';

export interface TcpFraming {
  /** As written in the file (or `preset` for a PRESET's framing), for messages. */
  label: string;
  framing: ResolvedFraming;
  /** `line` only: remove one trailing CR from each frame. */
  stripTrailingCr: boolean;
}

/** The short names and the definitions they stand for. */
export const FRAMING_SHORT_NAMES: Readonly<Record<string, FramingDefinition>> = {
  none: { mode: 'none' },
  line: { mode: 'delimiter', delimiter: 'lf' },
  u16be: { mode: 'lengthPrefix', lengthBytes: 2, endian: 'big' },
  u32be: { mode: 'lengthPrefix', lengthBytes: 4, endian: 'big' },
};

export const NO_TCP_FRAMING: TcpFraming = { label: 'none', framing: { mode: 'none', maxFrameBytes: DEFAULT_MAX_FRAME_BYTES }, stripTrailingCr: false };

export type TcpFramingResult = { ok: true; framing: TcpFraming } | { ok: false; error: string };

/** A FRAMING value: a short name (any case) or a JSON framing definition such as `{"mode":"delimiter","delimiter":"crlf"}`. */
export function parseTcpFraming(text: string): TcpFramingResult {
  const value = text.trim();
  if (value.startsWith('{')) {
    let definition: unknown;
    try {
      definition = JSON.parse(value);
    } catch (err) {
      return { ok: false, error: `FRAMING ${value.slice(0, 40)} is not valid JSON (${errorMessage(err)}): write a framing definition such as {"mode":"delimiter","delimiter":"crlf"}.` };
    }
    const checked = validateFraming(definition, 'FRAMING');
    return checked.ok ? { ok: true, framing: { label: value, framing: checked.framing, stripTrailingCr: false } } : checked;
  }
  // `FRAMING u16be CHECKSUM crc16modbus`: a short name whose frames must pass a checksum.
  const clause = findChecksumClause(value);
  if (clause !== undefined) {
    const checksum = parseChecksumClause(value.slice(clause + 'CHECKSUM'.length));
    if (!checksum.ok) return checksum;
    const cut = parseTcpFraming(value.slice(0, clause));
    if (!cut.ok) return cut;
    if (cut.framing.framing.mode === 'none') return { ok: false, error: 'FRAMING none has no frames to check: choose line, u16be, u32be or a JSON framing before CHECKSUM.' };
    return { ok: true, framing: { ...cut.framing, label: value, framing: { ...cut.framing.framing, checksum: checksum.checksum } } };
  }
  const name = value.toLowerCase();
  const definition = FRAMING_SHORT_NAMES[name];
  if (!definition) return { ok: false, error: `Unknown framing '${value}': use ${Object.keys(FRAMING_SHORT_NAMES).join(', ')} or a JSON framing definition.` };
  const checked = validateFraming(definition);
  if (!checked.ok) throw new Error(checked.error); // the table above is ours: a failure here is a bug
  return { ok: true, framing: { label: name, framing: checked.framing, stripTrailingCr: name === 'line' } };
}

/** A preset's framing (already validated by whoever saved it; checked again, it may come from a hand-edited file). */
export function presetTcpFraming(definition: unknown, presetName: string): TcpFramingResult {
  const checked = validateFraming(definition, `preset '${presetName}' framing`);
  return checked.ok ? { ok: true, framing: { label: 'preset', framing: checked.framing, stripTrailingCr: false } } : checked;
}

/**
 * What SEND writes under a framing: length-prefix framings get the header a receiver with the same
 * definition reads back; every other mode sends the bytes as written (add the delimiter or markers
 * to the payload, as a peer on the wire would see them).
 */
export function encodeFrame(bytes: Uint8Array, tcp: TcpFraming): { ok: true; bytes: Uint8Array } | { ok: false; error: string } {
  const framing = tcp.framing;
  if (framing.mode !== 'lengthPrefix') return { ok: true, bytes };
  const size = framing.lengthBytes;
  const value = bytes.length + (framing.lengthIncludesHeader ? size : 0) - framing.adjustment;
  if (value < 0 || value >= 2 ** (8 * size) || !Number.isSafeInteger(value)) {
    return { ok: false, error: `A ${bytes.length}-byte payload does not fit a ${size}-byte length field: send less per frame.` };
  }
  const out = new Uint8Array(size + bytes.length);
  const view = new DataView(out.buffer);
  const little = framing.endian === 'little';
  if (size === 1) view.setUint8(0, value);
  else if (size === 2) view.setUint16(0, value, little);
  else if (size === 4) view.setUint32(0, value, little);
  else view.setBigUint64(0, BigInt(value), little);
  out.set(bytes, size);
  return { ok: true, bytes: out };
}

/**
 * One unit an expectation compares: a frame (its bytes, and the stream offset just after it) or a
 * framing error. A whole frame that failed the framing's checksum is an error that still has its
 * `end`, so the expectation fails on it and the stream moves past it.
 */
export type ReceivedUnit = { kind: 'frame'; bytes: Uint8Array; wire: Uint8Array; end: number } | { kind: 'error'; message: string; end?: number };

/** Cuts received bytes into units with the shared Framer, queued until expectations take them. */
export class FrameQueue {
  private framer: Framer;
  /** units[head, length) are waiting; taken slots are emptied, so a taken frame is garbage as soon as its expectation is done with it. */
  private units: Array<ReceivedUnit | undefined> = [];
  private head = 0;

  constructor(private readonly tcp: TcpFraming) {
    this.framer = new Framer(tcp.framing);
  }

  push(chunk: Uint8Array): void {
    this.accept(this.framer.push(chunk));
  }

  /** The stream ended: a partial frame becomes an error unit. */
  end(): void {
    this.accept(this.framer.end());
  }

  /** Forget everything (EXPECT close consumes the rest of the stream). */
  reset(): void {
    this.framer = new Framer(this.tcp.framing);
    this.units = [];
    this.head = 0;
  }

  /** The reader is done with a frame it took: its memory may hold a later frame (see Framer.recycle). */
  recycle(unit: ReceivedUnit): void {
    if (unit.kind === 'frame') this.framer.recycle(unit.wire);
  }

  /** The next unit, removed from the queue. */
  take(): ReceivedUnit | undefined {
    if (this.head >= this.units.length) return undefined;
    const unit = this.units[this.head];
    this.units[this.head++] = undefined;
    // Drop taken units now and then, so the queue does not keep every frame of a long run.
    if (this.head > 1024 && this.head * 2 > this.units.length) {
      this.units = this.units.slice(this.head);
      this.head = 0;
    }
    return unit;
  }

  private accept(events: FramerEvent[]): void {
    for (const event of events) {
      if (event.type === 'error') {
        this.units.push({ kind: 'error', message: event.message });
        continue;
      }
      if (event.checksumError !== undefined) {
        this.units.push({ kind: 'error', message: `A received frame failed its checksum: ${event.checksumError}.`, end: event.offset + event.wire.length });
        continue;
      }
      let bytes = event.bytes;
      if (this.tcp.stripTrailingCr && bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
      this.units.push({ kind: 'frame', bytes, wire: event.wire, end: event.offset + event.wire.length });
    }
  }
}
