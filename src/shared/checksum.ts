// Checksums appended on send and verified on receive: the CRCs device protocols use and the few-line
// XOR, LRC and additive sums. One definition serves the panel (which previews it live, so no Node
// imports here), presets, `.tcp` files and framing.
//
// The CRCs are one table-driven implementation of the catalogue's parameter model rather than the
// `crc` package: its calculators would bundle for the browser, but its type declarations are ES
// module only, so a CommonJS project cannot import them without tsconfig workarounds, and five
// generated tables cost the webview far less than its five literal ones.
import { describeValue, isRecord } from './describeValue';
import { keyList } from './keyList';

export type ChecksumAlgorithm = 'crc16modbus' | 'crc16ccittfalse' | 'crc16xmodem' | 'crc32' | 'crc8' | 'xor' | 'lrc' | 'sum8' | 'sum16';

export type ByteOrder = 'big' | 'little';

export type ChecksumWidth = 1 | 2 | 4;

interface AlgorithmInfo {
  /** The name in the CRC catalogue (or the usual one), shown in previews and errors. */
  label: string;
  /** How many bytes the value naturally takes. */
  width: ChecksumWidth;
  /** Modbus RTU sends its CRC low byte first; the other protocols we know put the high byte first. */
  order: ByteOrder;
  compute(bytes: Uint8Array): number;
}

/** A CRC in the catalogue's terms: width in bits, polynomial, initial value, reflection, final XOR. */
interface CrcModel {
  bits: 8 | 16 | 32;
  poly: number;
  init: number;
  reflected: boolean;
  xorOut: number;
}

/**
 * A byte-at-a-time table for the model. Reflected CRCs shift right with the reversed polynomial;
 * the others shift left with the value kept in the top bits, so one loop serves all widths.
 */
function crcFunction(model: CrcModel): (bytes: Uint8Array) => number {
  const top = 2 ** model.bits;
  const mask = model.bits === 32 ? 0xffffffff : top - 1;
  const reversedPoly = reflect(model.poly, model.bits);
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let value = model.reflected ? n : n * 2 ** (model.bits - 8);
    for (let bit = 0; bit < 8; bit++) {
      if (model.reflected) value = value & 1 ? (value >>> 1) ^ reversedPoly : value >>> 1;
      else value = value >= top / 2 ? ((value * 2) ^ model.poly) & mask : (value * 2) & mask;
    }
    table[n] = value >>> 0;
  }
  const shift = model.bits - 8;
  return (bytes) => {
    let crc = model.init >>> 0;
    for (const b of bytes) {
      crc = model.reflected ? table[(crc ^ b) & 0xff] ^ (crc >>> 8) : (table[((crc >>> shift) ^ b) & 0xff] ^ (crc << 8)) & mask;
    }
    return ((crc ^ model.xorOut) & mask) >>> 0;
  };
}

function reflect(value: number, bits: number): number {
  let out = 0;
  for (let i = 0; i < bits; i++) if (value & (2 ** i)) out += 2 ** (bits - 1 - i);
  return out >>> 0;
}

// Parameters from the CRC catalogue (reveng.sourceforge.io/crc-catalogue).
const crc16modbus = crcFunction({ bits: 16, poly: 0x8005, init: 0xffff, reflected: true, xorOut: 0 });
const crc16ccitt = crcFunction({ bits: 16, poly: 0x1021, init: 0xffff, reflected: false, xorOut: 0 });
const crc16xmodem = crcFunction({ bits: 16, poly: 0x1021, init: 0, reflected: false, xorOut: 0 });
const crc32 = crcFunction({ bits: 32, poly: 0x04c11db7, init: 0xffffffff, reflected: true, xorOut: 0xffffffff });
const crc8 = crcFunction({ bits: 8, poly: 0x07, init: 0, reflected: false, xorOut: 0 });

function xorAll(bytes: Uint8Array): number {
  let value = 0;
  for (const b of bytes) value ^= b;
  return value;
}

function sum(bytes: Uint8Array, mask: number): number {
  let value = 0;
  for (const b of bytes) value = (value + b) & mask;
  return value;
}

export const CHECKSUM_INFO: Readonly<Record<ChecksumAlgorithm, AlgorithmInfo>> = {
  crc16modbus: { label: 'CRC-16/MODBUS', width: 2, order: 'little', compute: crc16modbus },
  crc16ccittfalse: { label: 'CRC-16/CCITT-FALSE', width: 2, order: 'big', compute: crc16ccitt },
  crc16xmodem: { label: 'CRC-16/XMODEM', width: 2, order: 'big', compute: crc16xmodem },
  crc32: { label: 'CRC-32', width: 4, order: 'big', compute: crc32 },
  crc8: { label: 'CRC-8', width: 1, order: 'big', compute: crc8 },
  xor: { label: 'XOR (BCC)', width: 1, order: 'big', compute: xorAll },
  // Modbus ASCII's LRC: the two's complement of the 8-bit sum, so the sum of message and LRC is zero.
  lrc: { label: 'LRC', width: 1, order: 'big', compute: (b) => (0x100 - sum(b, 0xff)) & 0xff },
  sum8: { label: 'SUM-8', width: 1, order: 'big', compute: (b) => sum(b, 0xff) },
  sum16: { label: 'SUM-16', width: 2, order: 'big', compute: (b) => sum(b, 0xffff) },
};

export const CHECKSUM_ALGORITHMS = Object.keys(CHECKSUM_INFO) as readonly ChecksumAlgorithm[];

/** Other spellings people write, after lower-casing and dropping everything but letters and digits. */
const ALIASES: Readonly<Record<string, ChecksumAlgorithm>> = {
  modbus: 'crc16modbus',
  crc16ccitt: 'crc16ccittfalse',
  ccittfalse: 'crc16ccittfalse',
  xmodem: 'crc16xmodem',
  crc32ieee: 'crc32',
  bcc: 'xor',
  xorbcc: 'xor',
  lrc8: 'lrc',
};

/** `CRC-16/MODBUS`, `crc16modbus`, `modbus`, `BCC` … → the algorithm id, or undefined. */
export function checksumAlgorithmNamed(name: string): ChecksumAlgorithm | undefined {
  const key = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  if ((CHECKSUM_ALGORITHMS as readonly string[]).includes(key)) return key as ChecksumAlgorithm;
  return ALIASES[key];
}

/** A checksum as written in settings or sent by the panel. */
export interface ChecksumDefinition {
  algorithm: string;
  /** First byte covered (default 0): skips a start marker or a header. */
  from?: number;
  /** Bytes at the end left out of the computation (default 0): a trailer such as ETX that follows the data. */
  toEndMinus?: number;
  /** Byte order of the appended value (default: the algorithm's usual one, little for Modbus). */
  order?: ByteOrder;
  /** Bytes appended (default: the algorithm's own width); a narrower width keeps the low bytes. */
  width?: ChecksumWidth;
}

export const CHECKSUM_KEYS = keyList<ChecksumDefinition>()(['algorithm', 'from', 'toEndMinus', 'order', 'width']);

/** A validated definition with every default filled in. */
export interface ResolvedChecksum {
  algorithm: ChecksumAlgorithm;
  label: string;
  from: number;
  toEndMinus: number;
  order: ByteOrder;
  width: ChecksumWidth;
}

export type ChecksumValidation = { ok: true; checksum: ResolvedChecksum } | { ok: false; error: string };

/** Largest `from`/`toEndMinus` accepted: a payload's header or trailer, not a size in megabytes. */
const MAX_RANGE_OFFSET = 65535;

/** The defaults of one algorithm, for the panel's picker and `.tcp` files' short form. */
export function defaultChecksum(algorithm: ChecksumAlgorithm): ResolvedChecksum {
  const info = CHECKSUM_INFO[algorithm];
  return { algorithm, label: info.label, from: 0, toEndMinus: 0, order: info.order, width: info.width };
}

/** Checks a checksum definition; `path` names it in the message (e.g. `tcpLab.presets[0].payloads[1].checksum`). */
export function validateChecksum(value: unknown, path = 'checksum'): ChecksumValidation {
  if (typeof value === 'string') value = { algorithm: value };
  if (!isRecord(value)) return { ok: false, error: `${path} must be an object with an "algorithm" such as "crc16modbus" (got ${describeValue(value)}).` };
  const algorithm = typeof value.algorithm === 'string' ? checksumAlgorithmNamed(value.algorithm) : undefined;
  if (!algorithm) {
    return { ok: false, error: `${path}.algorithm must be one of ${CHECKSUM_ALGORITHMS.join(', ')} (got ${describeValue(value.algorithm)}).` };
  }
  const resolved = defaultChecksum(algorithm);
  for (const key of ['from', 'toEndMinus'] as const) {
    const n = value[key];
    if (n === undefined) continue;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_RANGE_OFFSET) {
      return { ok: false, error: `${path}.${key} must be a whole number of bytes from 0 to ${MAX_RANGE_OFFSET} (got ${describeValue(n)}).` };
    }
    resolved[key] = n;
  }
  if (value.order !== undefined) {
    if (value.order !== 'big' && value.order !== 'little') return { ok: false, error: `${path}.order must be "big" or "little" (got ${describeValue(value.order)}).` };
    resolved.order = value.order;
  }
  if (value.width !== undefined) {
    if (value.width !== 1 && value.width !== 2 && value.width !== 4) return { ok: false, error: `${path}.width must be 1, 2 or 4 bytes (got ${describeValue(value.width)}).` };
    resolved.width = value.width;
  }
  return { ok: true, checksum: resolved };
}

/** The checksum value of `bytes` as the bytes that go on the wire, in the definition's width and order. */
export function checksumBytes(bytes: Uint8Array, checksum: ResolvedChecksum): Uint8Array {
  const value = CHECKSUM_INFO[checksum.algorithm].compute(bytes);
  const out = new Uint8Array(checksum.width);
  for (let i = 0; i < checksum.width; i++) {
    // i counts from the least significant byte; `/ 256 ** i` keeps 32-bit values positive.
    const byte = Math.floor(value / 256 ** i) & 0xff;
    out[checksum.order === 'little' ? i : checksum.width - 1 - i] = byte;
  }
  return out;
}

function coveredRange(length: number, checksum: ResolvedChecksum, what: string): { ok: true; start: number; end: number } | { ok: false; error: string } {
  const end = length - checksum.toEndMinus;
  if (checksum.from > end) {
    return {
      ok: false,
      error: `The ${checksum.label} range (from byte ${checksum.from} to the end minus ${checksum.toEndMinus}) does not fit ${what} of ${length} byte${length === 1 ? '' : 's'}; lower from or toEndMinus.`,
    };
  }
  return { ok: true, start: checksum.from, end };
}

export type AppendResult = { ok: true; bytes: Uint8Array; checksum: Uint8Array } | { ok: false; error: string };

/** The payload followed by its checksum over [from, length − toEndMinus). */
export function appendChecksum(payload: Uint8Array, checksum: ResolvedChecksum): AppendResult {
  const range = coveredRange(payload.length, checksum, 'a payload');
  if (!range.ok) return range;
  const value = checksumBytes(payload.subarray(range.start, range.end), checksum);
  const bytes = new Uint8Array(payload.length + value.length);
  bytes.set(payload);
  bytes.set(value, payload.length);
  return { ok: true, bytes, checksum: value };
}

export type VerifyResult = { ok: true } | { ok: false; expected: Uint8Array; got: Uint8Array; message: string };

/**
 * Checks a received frame whose last `width` bytes are the checksum of the bytes before them, computed
 * over the same range `appendChecksum` uses, so whatever one side appends the other verifies.
 */
export function verifyChecksum(frame: Uint8Array, checksum: ResolvedChecksum): VerifyResult {
  if (frame.length < checksum.width) {
    const got = frame.slice();
    return { ok: false, expected: new Uint8Array(0), got, message: `${checksum.label} needs ${checksum.width} checksum byte${checksum.width === 1 ? '' : 's'}, but the frame has only ${frame.length}.` };
  }
  const payload = frame.subarray(0, frame.length - checksum.width);
  const got = frame.slice(frame.length - checksum.width);
  const range = coveredRange(payload.length, checksum, 'a frame');
  if (!range.ok) return { ok: false, expected: new Uint8Array(0), got, message: range.error };
  const expected = checksumBytes(payload.subarray(range.start, range.end), checksum);
  if (expected.every((b, i) => b === got[i])) return { ok: true };
  return { ok: false, expected, got, message: `${checksum.label} expected ${hexBytes(expected)}, got ${hexBytes(got)}` };
}

/** `E4 09`: how checksum bytes are shown in previews and messages. */
export function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}

/** One line of the panel's preview: `+ E4 09 (CRC-16/MODBUS)`. */
export function describeAppended(value: Uint8Array, checksum: ResolvedChecksum): string {
  return `+ ${hexBytes(value)} (${checksum.label})`;
}

/** Every algorithm's value over `bytes`, in its usual width and order: what TCP: Compute Checksum shows. */
export function computeAll(bytes: Uint8Array): { algorithm: ChecksumAlgorithm; label: string; hex: string; value: number }[] {
  return CHECKSUM_ALGORITHMS.map((algorithm) => {
    const info = CHECKSUM_INFO[algorithm];
    return { algorithm, label: info.label, hex: hexBytes(checksumBytes(bytes, defaultChecksum(algorithm))), value: info.compute(bytes) };
  });
}
