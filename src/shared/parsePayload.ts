// What the user typed → the exact bytes to send. A failed parse yields no bytes at all.
import type { LineEnding, ParseError, ParseResult, PayloadFormat, TextEncodingName } from './payloadTypes';
import { ByteWriter } from './byteWriter';
import { encodeInto, encodeText } from './encodeText';

export interface PayloadOptions {
  format: PayloadFormat;
  encoding: TextEncodingName;
  lineEnding: LineEnding;
}

/** The characters of each line ending. */
export const LINE_ENDING_TEXT: Record<LineEnding, string> = { none: '', lf: '\n', cr: '\r', crlf: '\r\n' };

/**
 * Parse a payload and append the chosen line ending. For text the line ending is encoded like the text
 * (so it is 0A 00 in utf-16le); hex and base64 are raw bytes with no character encoding, so there it is
 * the plain ASCII bytes 0A / 0D.
 */
export function parsePayload(input: string, options: PayloadOptions): ParseResult {
  const parsed = parseByFormat(input, options);
  const ending = LINE_ENDING_TEXT[options.lineEnding];
  if (!parsed.ok || ending === '') {
    return parsed;
  }
  const endingBytes = encodeText(ending, options.format === 'text' ? options.encoding : 'ascii');
  if (!endingBytes.ok) {
    return endingBytes;
  }
  const joined = new Uint8Array(parsed.bytes.length + endingBytes.bytes.length);
  joined.set(parsed.bytes);
  joined.set(endingBytes.bytes, parsed.bytes.length);
  return { ok: true, bytes: joined };
}

function parseByFormat(input: string, options: PayloadOptions): ParseResult {
  switch (options.format) {
    case 'text':
      return parseText(input, options.encoding);
    case 'hex':
      return parseHex(input);
    case 'base64':
      return parseBase64(input);
  }
}

function fail(message: string, position: number): ParseResult {
  return { ok: false, error: { message, position } };
}

const SIMPLE_ESCAPES: Record<string, string> = { r: '\r', n: '\n', t: '\t', '0': '\0', '\\': '\\' };
const ESCAPE_HELP = 'use \\r, \\n, \\t, \\0, \\\\, \\xHH or \\uXXXX';

/**
 * Text with escapes. `\r \n \t \0 \\` and `\uXXXX` stand for characters, encoded like the rest of the
 * text; `\xHH` is one raw byte, whatever the encoding, so any byte can be sent from a text payload.
 */
export function parseText(input: string, encoding: TextEncodingName): ParseResult {
  const writer = new ByteWriter(input.length * 2);
  let runStart = 0;
  const flushRun = (end: number): ParseError | undefined =>
    end > runStart ? encodeInto(writer, input.slice(runStart, end), encoding, runStart) : undefined;

  let index = 0;
  while (index < input.length) {
    const backslash = input.indexOf('\\', index);
    if (backslash < 0) {
      break;
    }
    const runError = flushRun(backslash);
    if (runError) {
      return { ok: false, error: runError };
    }
    const escape = readEscape(input, backslash);
    if ('message' in escape) {
      return { ok: false, error: escape };
    }
    if (escape.byte !== undefined) {
      writer.push(escape.byte);
    } else {
      const error = encodeInto(writer, escape.text, encoding, backslash);
      if (error) {
        return { ok: false, error };
      }
    }
    index = backslash + escape.length;
    runStart = index;
  }
  const tailError = flushRun(input.length);
  return tailError ? { ok: false, error: tailError } : { ok: true, bytes: writer.toBytes() };
}

type Escape = { length: number; byte?: number; text: string };

function readEscape(input: string, at: number): Escape | ParseError {
  const kind = input[at + 1];
  if (kind === undefined) {
    return { message: `Invalid escape at position ${at + 1}: the text ends with a lone backslash; write \\\\ for a literal backslash.`, position: at };
  }
  const simple = SIMPLE_ESCAPES[kind];
  if (simple !== undefined) {
    return { length: 2, text: simple };
  }
  if (kind === 'x') {
    const digits = input.slice(at + 2, at + 4);
    if (!/^[0-9a-fA-F]{2}$/.test(digits)) {
      return { message: `Invalid escape at position ${at + 1}: '\\x' needs exactly two hex digits; write a byte like \\x0A.`, position: at };
    }
    return { length: 4, byte: parseInt(digits, 16), text: '' };
  }
  if (kind === 'u') {
    const unit = readUnicodeUnit(input, at);
    if (unit < 0) {
      return { message: `Invalid escape at position ${at + 1}: '\\u' needs exactly four hex digits; write a character like \\u00E9.`, position: at };
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) {
      return { message: `Invalid escape at position ${at + 1}: \\u${hex4(unit)} is the second half of a surrogate pair with no first half; write the pair as \\uD83D\\uDE00 or the character itself.`, position: at };
    }
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const low = input.startsWith('\\u', at + 6) ? readUnicodeUnit(input, at + 6) : -1;
      if (low < 0xdc00 || low > 0xdfff) {
        return { message: `Invalid escape at position ${at + 1}: \\u${hex4(unit)} is the first half of a surrogate pair and must be followed by its second half; write the pair as \\uD83D\\uDE00 or the character itself.`, position: at };
      }
      return { length: 12, text: String.fromCharCode(unit, low) };
    }
    return { length: 6, text: String.fromCharCode(unit) };
  }
  const codePoint = input.codePointAt(at + 1) as number;
  // A control or invisible character after the backslash is named by its code, so the sentence stays one visible line.
  const shown = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u.test(String.fromCodePoint(codePoint))
    ? `a backslash followed by U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`
    : `'\\${String.fromCodePoint(codePoint)}'`;
  return { message: `Invalid escape at position ${at + 1}: ${shown} is not a known escape; ${ESCAPE_HELP}.`, position: at };
}

function readUnicodeUnit(input: string, at: number): number {
  const digits = input.slice(at + 2, at + 6);
  return /^[0-9a-fA-F]{4}$/.test(digits) ? parseInt(digits, 16) : -1;
}

function hex4(value: number): string {
  return value.toString(16).toUpperCase().padStart(4, '0');
}

const SEPARATOR = -2;
const NOT_HEX = -1;
/** Per ASCII code: its nibble value, SEPARATOR for the characters allowed between bytes, or NOT_HEX. */
const HEX_CLASSES = (() => {
  const classes = new Int8Array(128).fill(NOT_HEX);
  for (const char of ' \t\n\r,:-') {
    classes[char.charCodeAt(0)] = SEPARATOR;
  }
  for (let digit = 0; digit < 16; digit++) {
    classes[digit.toString(16).charCodeAt(0)] = digit;
    classes[digit.toString(16).toUpperCase().charCodeAt(0)] = digit;
  }
  return classes;
})();

/**
 * Hex bytes, tolerant of how people paste them: "48 65", "48,65", "48:65", "48-65", one per line, with
 * or without 0x. Each group between separators must have an even number of digits, so a lone nibble is
 * reported where it is instead of silently shifting every following byte.
 */
export function parseHex(input: string): ParseResult {
  const writer = new ByteWriter(input.length / 2);
  let groupDigits = 0;
  let prefixAt = -1;
  let pendingNibble = -1;
  const endGroup = (end: number): ParseResult | undefined => {
    if (pendingNibble >= 0) {
      const at = end - 1;
      return fail(`Invalid hex at position ${at + 1}: '${input[at]}' is a lone digit (odd number of digits in this group); write every byte as two digits, such as 0${input[at]}.`, at);
    }
    if (prefixAt >= 0 && groupDigits === 0) {
      return fail(`Invalid hex at position ${prefixAt + 1}: '${input.slice(prefixAt, prefixAt + 2)}' is not followed by any hex digits; write a byte after it, such as 0x41.`, prefixAt);
    }
    groupDigits = 0;
    prefixAt = -1;
    return undefined;
  };

  for (let index = 0; index < input.length; index++) {
    const code = input.charCodeAt(index);
    const nibble = code < 128 ? HEX_CLASSES[code] : NOT_HEX;
    if (nibble === SEPARATOR) {
      const error = endGroup(index);
      if (error) {
        return error;
      }
      continue;
    }
    if (groupDigits === 0 && prefixAt < 0 && code === 0x30 && (input[index + 1] === 'x' || input[index + 1] === 'X')) {
      prefixAt = index;
      index++;
      continue;
    }
    if (nibble === NOT_HEX) {
      const shown = String.fromCodePoint(input.codePointAt(index) as number);
      return fail(`Invalid hex at position ${index + 1}: '${shown}' is not a hex digit; use 0-9 and A-F.`, index);
    }
    groupDigits++;
    if (pendingNibble < 0) {
      pendingNibble = nibble;
    } else {
      writer.push((pendingNibble << 4) | nibble);
      pendingNibble = -1;
    }
  }
  const error = endGroup(input.length);
  return error ?? { ok: true, bytes: writer.toBytes() };
}

const BASE64_VALUES = (() => {
  const values = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) {
    values[alphabet.charCodeAt(i)] = i;
  }
  // The URL-safe alphabet swaps only these two; accepting both lets either kind be pasted.
  values['-'.charCodeAt(0)] = 62;
  values['_'.charCodeAt(0)] = 63;
  return values;
})();

/** Base64, standard or URL-safe, padding optional, line breaks and spaces ignored. */
export function parseBase64(input: string): ParseResult {
  const writer = new ByteWriter((input.length * 3) / 4);
  let accumulator = 0;
  let bits = 0;
  let dataCount = 0;
  let lastDataAt = -1;
  let paddingAt = -1;
  let paddingCount = 0;
  for (let index = 0; index < input.length; index++) {
    const char = input[index];
    if (char === ' ' || char === '\t' || char === '\n' || char === '\r') {
      continue;
    }
    if (char === '=') {
      if (paddingAt < 0) {
        paddingAt = index;
      }
      paddingCount++;
      continue;
    }
    const code = char.charCodeAt(0);
    const value = code < 128 ? BASE64_VALUES[code] : -1;
    if (value < 0) {
      const shown = String.fromCodePoint(input.codePointAt(index) as number);
      return fail(`Invalid base64 at position ${index + 1}: '${shown}' is not a base64 character; use A-Z, a-z, 0-9, + and / (or - and _).`, index);
    }
    if (paddingAt >= 0) {
      return fail(`Invalid base64 at position ${paddingAt + 1}: '=' padding may only appear at the end; remove it or move it after the data.`, paddingAt);
    }
    dataCount++;
    lastDataAt = index;
    accumulator = ((accumulator << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      writer.push((accumulator >> bits) & 0xff);
    }
  }
  if (dataCount % 4 === 1) {
    return fail(`Invalid base64 at position ${lastDataAt + 1}: one leftover character cannot form a byte; check for a missing or extra character.`, lastDataAt);
  }
  if (paddingCount > 0 && (dataCount + paddingCount) % 4 !== 0) {
    return fail(`Invalid base64 at position ${paddingAt + 1}: the '=' padding does not match the data length; fix or remove the padding.`, paddingAt);
  }
  return { ok: true, bytes: writer.toBytes() };
}
