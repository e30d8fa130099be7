// Tables for the legacy CJK encodings (gbk, gb18030, shift_jis), built without any dependency.
//
// Browsers and Node can decode these encodings (TextDecoder) but not encode them. So, the first time an
// encoding is used, we decode every byte sequence in its code space once, keep the result as a decode
// table, and invert it into an encode map. Encoding and decoding then agree with the runtime's own
// decoder by construction, whichever version of the mapping it ships.
//
// Coverage:
// - gbk, gb18030, shift_jis: every single byte and every two-byte sequence the runtime decodes.
// - gb18030 four-byte sequences: all BMP code points (linear pointers 0..39419, probed like the rest,
//   which covers every BMP character missing from the two-byte table) and all supplementary code points
//   U+10000..U+10FFFF (derived arithmetically from the standard's linear range starting at 0x90308130,
//   enabled only when the runtime decodes that range itself).
// - Node's "gbk" decoder (ICU's windows-936) has no four-byte form, so neither do we there; a browser's
//   WHATWG gbk decoder does, and then the tables pick it up automatically.
// Where a code point has several byte forms, the encode map keeps one: the two-byte form over the
// single-byte 0x80 for gb18030 (as its encoders do), and for shift_jis the IBM extension codes over the
// NEC-selected duplicates (pointers 8272..8835), as the WHATWG encoder does.

export type MultiByteEncodingName = 'gbk' | 'gb18030' | 'shift_jis';

export interface MultiByteTable {
  readonly encoding: MultiByteEncodingName;
  /** Code point of each byte on its own, or -1 when the byte is a lead byte or undefined. */
  readonly single: Int32Array;
  /** Whether the byte can start a two- (or four-) byte sequence. */
  readonly isLead: Uint8Array;
  /** Code point of each two-byte sequence, indexed (lead << 8) | trail; 0 means unmapped. */
  readonly double: Uint32Array;
  /** gb18030 four-byte BMP code points by linear pointer; 0 means unmapped; empty when unsupported. */
  readonly fourByteBmp: Uint32Array;
  /** Whether four-byte sequences for U+10000..U+10FFFF decode (gb18030 only). */
  readonly fourByteSupplementary: boolean;
  /** Code point → its bytes, packed big-endian as `bytes + length * 2^32`. */
  readonly encode: Map<number, number>;
  /** Every ASCII code point is the byte of the same value, so encoders can skip the map for ASCII. */
  readonly asciiIdentity: boolean;
}

const FOUR_BYTE_BMP_POINTERS = 39420;
const SUPPLEMENTARY_POINTER_BASE = 189000;
const REPLACEMENT = 0xfffd;
const SEPARATOR = 0x0a;
const PACK_LENGTH = 2 ** 32;

const cache = new Map<MultiByteEncodingName, MultiByteTable | null>();

export function isMultiByteEncoding(encoding: string): encoding is MultiByteEncodingName {
  return encoding === 'gbk' || encoding === 'gb18030' || encoding === 'shift_jis';
}

/** The table for an encoding, built on first use; undefined when the runtime cannot decode it at all. */
export function multiByteTable(encoding: MultiByteEncodingName): MultiByteTable | undefined {
  let table = cache.get(encoding);
  if (table === undefined) {
    table = buildTable(encoding);
    cache.set(encoding, table);
  }
  return table ?? undefined;
}

export function fourBytePointer(b1: number, b2: number, b3: number, b4: number): number {
  return (b1 - 0x81) * 12600 + (b2 - 0x30) * 1260 + (b3 - 0x81) * 10 + (b4 - 0x30);
}

export function fourByteSequence(pointer: number): [number, number, number, number] {
  const b1 = Math.floor(pointer / 12600);
  const rest1 = pointer % 12600;
  const b2 = Math.floor(rest1 / 1260);
  const rest2 = rest1 % 1260;
  return [0x81 + b1, 0x30 + b2, 0x81 + Math.floor(rest2 / 10), 0x30 + (rest2 % 10)];
}

/** Code point of a gb18030 four-byte sequence in the supplementary range, or 0 if outside it. */
export function supplementaryFromPointer(pointer: number): number {
  const codePoint = pointer - SUPPLEMENTARY_POINTER_BASE + 0x10000;
  return codePoint >= 0x10000 && codePoint <= 0x10ffff ? codePoint : 0;
}

export function unpackLength(packed: number): number {
  return Math.floor(packed / PACK_LENGTH);
}

export function unpackBytes(packed: number): number {
  return packed % PACK_LENGTH;
}

function pack(bytes: readonly number[]): number {
  let value = 0;
  for (const byte of bytes) {
    value = value * 256 + byte;
  }
  return value + bytes.length * PACK_LENGTH;
}

function isTwoByteTrail(encoding: MultiByteEncodingName, byte: number): boolean {
  if (encoding === 'shift_jis') {
    return (byte >= 0x40 && byte <= 0x7e) || (byte >= 0x80 && byte <= 0xfc);
  }
  return (byte >= 0x40 && byte <= 0x7e) || (byte >= 0x80 && byte <= 0xfe);
}

function isLeadByte(encoding: MultiByteEncodingName, byte: number): boolean {
  if (encoding === 'shift_jis') {
    return (byte >= 0x81 && byte <= 0x9f) || (byte >= 0xe0 && byte <= 0xfc);
  }
  return byte >= 0x81 && byte <= 0xfe;
}

function createDecoder(encoding: MultiByteEncodingName): TextDecoder | undefined {
  try {
    return new TextDecoder(encoding);
  } catch {
    // Runtimes built without full ICU reject these labels; callers report the encoding as unavailable.
    return undefined;
  }
}

/**
 * Decode many fixed-length sequences in one call by separating them with a newline, which every one of
 * these decoders passes through untouched. If the output does not split into exactly one piece per
 * sequence, fall back to one call per sequence rather than risk misaligned results.
 */
function probe(decoder: TextDecoder, sequences: Uint8Array, sequenceLength: number): Int32Array {
  const count = sequences.length / sequenceLength;
  const result = new Int32Array(count).fill(-1);
  const joined = new Uint8Array(count * (sequenceLength + 1));
  for (let i = 0; i < count; i++) {
    joined.set(sequences.subarray(i * sequenceLength, (i + 1) * sequenceLength), i * (sequenceLength + 1));
    joined[i * (sequenceLength + 1) + sequenceLength] = SEPARATOR;
  }
  const pieces = decoder.decode(joined).split('\n');
  if (pieces.length === count + 1) {
    for (let i = 0; i < count; i++) {
      result[i] = singleCodePoint(pieces[i]);
    }
    return result;
  }
  for (let i = 0; i < count; i++) {
    result[i] = singleCodePoint(decoder.decode(sequences.subarray(i * sequenceLength, (i + 1) * sequenceLength)));
  }
  return result;
}

function singleCodePoint(text: string): number {
  const codePoint = text.codePointAt(0);
  if (codePoint === undefined || codePoint === REPLACEMENT) {
    return -1;
  }
  return text.length === (codePoint > 0xffff ? 2 : 1) ? codePoint : -1;
}

function buildTable(encoding: MultiByteEncodingName): MultiByteTable | null {
  const decoder = createDecoder(encoding);
  if (!decoder) {
    return null;
  }
  const single = new Int32Array(256).fill(-1);
  const isLead = new Uint8Array(256);
  for (let byte = 0; byte < 256; byte++) {
    if (isLeadByte(encoding, byte)) {
      isLead[byte] = 1;
    } else {
      single[byte] = singleCodePoint(decoder.decode(Uint8Array.of(byte)));
    }
  }

  const pairs: number[] = [];
  for (let lead = 0; lead < 256; lead++) {
    if (!isLead[lead]) {
      continue;
    }
    for (let trail = 0; trail < 256; trail++) {
      if (isTwoByteTrail(encoding, trail)) {
        pairs.push(lead, trail);
      }
    }
  }
  const pairCodePoints = probe(decoder, Uint8Array.from(pairs), 2);
  const double = new Uint32Array(65536);
  for (let i = 0; i < pairCodePoints.length; i++) {
    if (pairCodePoints[i] > 0) {
      double[(pairs[2 * i] << 8) | pairs[2 * i + 1]] = pairCodePoints[i];
    }
  }

  let fourByteBmp = new Uint32Array(0);
  let fourByteSupplementary = false;
  if (encoding !== 'shift_jis') {
    const quads = new Uint8Array(FOUR_BYTE_BMP_POINTERS * 4);
    for (let pointer = 0; pointer < FOUR_BYTE_BMP_POINTERS; pointer++) {
      quads.set(fourByteSequence(pointer), pointer * 4);
    }
    const quadCodePoints = probe(decoder, quads, 4);
    if (quadCodePoints.some((codePoint) => codePoint > 0)) {
      fourByteBmp = new Uint32Array(FOUR_BYTE_BMP_POINTERS);
      quadCodePoints.forEach((codePoint, pointer) => {
        fourByteBmp[pointer] = codePoint > 0 ? codePoint : 0;
      });
    }
    // Check both ends of the supplementary range before trusting the arithmetic for all of it.
    const first = fourByteSequence(SUPPLEMENTARY_POINTER_BASE);
    const last = fourByteSequence(SUPPLEMENTARY_POINTER_BASE + 0x10ffff - 0x10000);
    fourByteSupplementary =
      singleCodePoint(decoder.decode(Uint8Array.from(first))) === 0x10000 &&
      singleCodePoint(decoder.decode(Uint8Array.from(last))) === 0x10ffff;
  }

  const encode = new Map<number, number>();
  const add = (codePoint: number, bytes: readonly number[]): void => {
    if (codePoint >= 0 && !encode.has(codePoint)) {
      encode.set(codePoint, pack(bytes));
    }
  };
  for (let byte = 0; byte < 0x80; byte++) {
    add(single[byte], [byte]);
  }
  if (encoding !== 'gb18030') {
    for (let byte = 0x80; byte < 256; byte++) {
      add(single[byte], [byte]);
    }
  }
  const deferred: Array<[number, number, number]> = [];
  for (let i = 0; i < pairCodePoints.length; i++) {
    const lead = pairs[2 * i];
    const trail = pairs[2 * i + 1];
    if (encoding === 'shift_jis' && isNecDuplicate(lead, trail)) {
      deferred.push([pairCodePoints[i], lead, trail]);
    } else {
      add(pairCodePoints[i], [lead, trail]);
    }
  }
  for (const [codePoint, lead, trail] of deferred) {
    add(codePoint, [lead, trail]);
  }
  for (let pointer = 0; pointer < fourByteBmp.length; pointer++) {
    if (fourByteBmp[pointer] > 0) {
      add(fourByteBmp[pointer], fourByteSequence(pointer));
    }
  }
  if (encoding === 'gb18030') {
    for (let byte = 0x80; byte < 256; byte++) {
      add(single[byte], [byte]);
    }
  }
  let asciiIdentity = true;
  for (let byte = 0; byte < 0x80; byte++) {
    asciiIdentity &&= single[byte] === byte;
  }
  return { encoding, single, isLead, double, fourByteBmp, fourByteSupplementary, encode, asciiIdentity };
}

/** Shift_JIS pointers 8272..8835 duplicate IBM extension characters encoded elsewhere. */
function isNecDuplicate(lead: number, trail: number): boolean {
  const pointer = (lead - (lead < 0xa0 ? 0x81 : 0xc1)) * 188 + trail - (trail < 0x7f ? 0x40 : 0x41);
  return pointer >= 8272 && pointer <= 8835;
}
