// Text → bytes for every TextEncodingName, with one-sentence errors that point at the offending character.
import type { ParseError, ParseResult, TextEncodingName } from './payloadTypes';
import { ByteWriter } from './byteWriter';
import {
  fourByteSequence,
  isMultiByteEncoding,
  multiByteTable,
  unpackBytes,
  unpackLength,
  type MultiByteTable,
} from './multiByteTables';

const utf8Encoder = new TextEncoder();

/** Encode a whole string (no escape processing). A character the encoding cannot hold is an error, never '?'. */
export function encodeText(text: string, encoding: TextEncodingName): ParseResult {
  const writer = new ByteWriter(text.length * 2);
  const error = encodeInto(writer, text, encoding, 0);
  return error ? { ok: false, error } : { ok: true, bytes: writer.toBytes() };
}

/**
 * Append the bytes of `text` to `writer`. `basePosition` is where `text` starts in the user's input, so
 * errors point at the right character there. Returns the error, or undefined on success.
 */
export function encodeInto(writer: ByteWriter, text: string, encoding: TextEncodingName, basePosition: number): ParseError | undefined {
  const table = isMultiByteEncoding(encoding) ? multiByteTable(encoding) : undefined;
  if (isMultiByteEncoding(encoding) && !table) {
    return { message: `The ${encoding} encoding is not available in this runtime; choose utf-8 or another encoding.`, position: basePosition };
  }
  if (encoding === 'utf-8') {
    // TextEncoder would silently turn a lone surrogate into U+FFFD, so find those first.
    const lone = findLoneSurrogate(text);
    if (lone >= 0) {
      return loneSurrogateError(text, lone, basePosition);
    }
    writer.append(utf8Encoder.encode(text));
    return undefined;
  }
  // ASCII is the common case in every encoding but utf-16le; skip the per-encoding lookup for it.
  const asciiFast = encoding === 'latin1' || encoding === 'ascii' || (table !== undefined && table.asciiIdentity);
  for (let index = 0; index < text.length; ) {
    const codePoint = text.codePointAt(index) as number;
    if (codePoint < 0x80 && asciiFast) {
      writer.push(codePoint);
      index++;
      continue;
    }
    const width = codePoint > 0xffff ? 2 : 1;
    if (codePoint >= 0xd800 && codePoint <= 0xdfff) {
      return loneSurrogateError(text, index, basePosition);
    }
    if (!encodeCodePoint(writer, codePoint, encoding, table)) {
      return unencodableError(codePoint, encoding, basePosition + index);
    }
    index += width;
  }
  return undefined;
}

/** Append one code point; false when the encoding has no bytes for it. */
export function encodeCodePoint(writer: ByteWriter, codePoint: number, encoding: TextEncodingName, table?: MultiByteTable): boolean {
  switch (encoding) {
    case 'utf-8':
      writer.append(utf8Encoder.encode(String.fromCodePoint(codePoint)));
      return true;
    case 'latin1':
      if (codePoint > 0xff) {
        return false;
      }
      writer.push(codePoint);
      return true;
    case 'ascii':
      if (codePoint > 0x7f) {
        return false;
      }
      writer.push(codePoint);
      return true;
    case 'utf-16le':
      if (codePoint > 0xffff) {
        const offset = codePoint - 0x10000;
        pushUnit(writer, 0xd800 + (offset >> 10));
        pushUnit(writer, 0xdc00 + (offset & 0x3ff));
      } else {
        pushUnit(writer, codePoint);
      }
      return true;
    default:
      return table ? encodeMultiByte(writer, codePoint, table) : false;
  }
}

function encodeMultiByte(writer: ByteWriter, codePoint: number, table: MultiByteTable): boolean {
  const packed = table.encode.get(codePoint);
  if (packed !== undefined) {
    const length = unpackLength(packed);
    const value = unpackBytes(packed);
    // value < 2^32, so unsigned shifts are exact here.
    for (let shift = (length - 1) * 8; shift >= 0; shift -= 8) {
      writer.push((value >>> shift) & 0xff);
    }
    return true;
  }
  if (codePoint > 0xffff && table.fourByteSupplementary) {
    for (const byte of fourByteSequence(codePoint - 0x10000 + 189000)) {
      writer.push(byte);
    }
    return true;
  }
  return false;
}

function pushUnit(writer: ByteWriter, unit: number): void {
  writer.push(unit & 0xff);
  writer.push(unit >> 8);
}

function findLoneSurrogate(text: string): number {
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        index++;
        continue;
      }
      return index;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) {
      return index;
    }
  }
  return -1;
}

function loneSurrogateError(text: string, index: number, basePosition: number): ParseError {
  const unit = text.charCodeAt(index);
  return {
    message: `Cannot encode position ${basePosition + index}: ${codePointLabel(unit)} is half of a surrogate pair with no partner; remove it or complete the pair.`,
    position: basePosition + index,
  };
}

export function unencodableError(codePoint: number, encoding: TextEncodingName, position: number): ParseError {
  const shown = codePoint < 0x20 || codePoint === 0x7f ? '' : `'${String.fromCodePoint(codePoint)}' `;
  return {
    message: `Cannot encode ${shown}(${codePointLabel(codePoint)}) at position ${position + 1} in ${encoding}; remove it or choose an encoding that has it.`,
    position,
  };
}

function codePointLabel(codePoint: number): string {
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}
