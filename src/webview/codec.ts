// Byte helpers the panel needs in the browser: base64 on the wire, hex and dump views, text with
// visible escapes, payload parsing for the send box and the copy formats.
import type { LineEnding, ParseResult, PayloadFormat, TextEncodingName } from '../shared/payloadTypes';

export function base64ToBytes(data: string): Uint8Array {
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  // Chunked: String.fromCharCode with a huge spread overflows the stack.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array, separator = ' '): string {
  const parts = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) parts[i] = HEX[bytes[i]];
  return parts.join(separator);
}

function printable(byte: number): string {
  return byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.';
}

/** One dump line: offset | 16 hex bytes | ASCII. */
export function dumpLine(bytes: Uint8Array, offset: number): string {
  const slice = bytes.subarray(offset, offset + 16);
  let hex = '';
  let ascii = '';
  for (let i = 0; i < 16; i++) {
    hex += i < slice.length ? HEX[slice[i]] + ' ' : '   ';
    if (i === 7) hex += ' ';
    if (i < slice.length) ascii += printable(slice[i]);
  }
  return `${offset.toString(16).padStart(8, '0')}  ${hex} |${ascii}|`;
}

const NAMED_ESCAPES: Record<number, string> = { 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x5c: '\\\\' };

function escapeByte(byte: number): string {
  return '\\x' + HEX[byte];
}

function asciiVisible(byte: number): string {
  return NAMED_ESCAPES[byte] ?? (byte < 0x20 || byte === 0x7f ? escapeByte(byte) : String.fromCharCode(byte));
}

function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\\]/g, (ch) => {
    const code = ch.charCodeAt(0);
    return NAMED_ESCAPES[code] ?? escapeByte(code);
  });
}

/** Strict UTF-8 walk: every invalid byte becomes \xNN so nothing is swallowed. */
function utf8Visible(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      out += asciiVisible(b);
      i++;
      continue;
    }
    const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    let code = need === 1 ? b & 0x1f : need === 2 ? b & 0x0f : b & 0x07;
    let ok = need > 0 && i + need < bytes.length;
    for (let k = 1; ok && k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) ok = false;
      else code = (code << 6) | (c & 0x3f);
    }
    if (ok && ((need === 2 && (code < 0x800 || (code >= 0xd800 && code <= 0xdfff))) || (need === 3 && (code < 0x10000 || code > 0x10ffff)))) ok = false;
    if (!ok) {
      out += escapeByte(b);
      i++;
      continue;
    }
    out += code >= 0x80 && code <= 0x9f ? escapeByte(code) : String.fromCodePoint(code);
    i += need + 1;
  }
  return out;
}

const decoders = new Map<string, TextDecoder>();

/** Text view of bytes: readable characters, control characters and invalid bytes as escapes. */
export function toVisibleText(bytes: Uint8Array, encoding: TextEncodingName): string {
  switch (encoding) {
    case 'utf-8':
      return utf8Visible(bytes);
    case 'ascii': {
      let out = '';
      for (const b of bytes) out += b < 0x80 ? asciiVisible(b) : escapeByte(b);
      return out;
    }
    case 'latin1': {
      let out = '';
      for (const b of bytes) out += b < 0x80 ? asciiVisible(b) : b <= 0x9f ? escapeByte(b) : String.fromCharCode(b);
      return out;
    }
    default: {
      let decoder = decoders.get(encoding);
      if (!decoder) decoders.set(encoding, (decoder = new TextDecoder(encoding)));
      return escapeControls(decoder.decode(bytes));
    }
  }
}

const LINE_ENDING_BYTES: Record<LineEnding, number[]> = { none: [], lf: [0x0a], cr: [0x0d], crlf: [0x0d, 0x0a] };

function fail(message: string, position: number): ParseResult {
  return { ok: false, error: { message, position } };
}

function parseHex(input: string): ParseResult {
  const out: number[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i];
    if (/[\s,:-]/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '0' && (input[i + 1] === 'x' || input[i + 1] === 'X')) {
      i += 2;
      continue;
    }
    const hi = parseInt(ch, 16);
    if (Number.isNaN(hi)) return fail(`Hex payload has "${ch}" at position ${i + 1}; use only 0-9 and a-f.`, i);
    const next = input[i + 1];
    const lo = next === undefined ? NaN : parseInt(next, 16);
    if (Number.isNaN(lo) && next !== undefined && !/[\s,:-]/.test(next)) {
      return fail(`Hex payload has "${next}" at position ${i + 2}; use only 0-9 and a-f.`, i + 1);
    }
    if (Number.isNaN(lo)) {
      const position = i + 1 < input.length ? i + 1 : i;
      return fail(`Hex payload has an odd digit at position ${position + 1}; write every byte as two digits.`, position);
    }
    out.push(hi * 16 + lo);
    i += 2;
  }
  return { ok: true, bytes: Uint8Array.from(out) };
}

function encodeText(input: string, encoding: TextEncodingName): ParseResult {
  if (encoding === 'utf-8') return { ok: true, bytes: new TextEncoder().encode(input) };
  if (encoding === 'latin1' || encoding === 'ascii') {
    const limit = encoding === 'ascii' ? 0x7f : 0xff;
    const out = new Uint8Array(input.length);
    for (let i = 0; i < input.length; i++) {
      const code = input.charCodeAt(i);
      if (code > limit) return fail(`"${input[i]}" at position ${i + 1} has no ${encoding} byte; pick another encoding or send hex.`, i);
      out[i] = code;
    }
    return { ok: true, bytes: out };
  }
  if (encoding === 'utf-16le') {
    const out = new Uint8Array(input.length * 2);
    for (let i = 0; i < input.length; i++) {
      out[i * 2] = input.charCodeAt(i) & 0xff;
      out[i * 2 + 1] = input.charCodeAt(i) >> 8;
    }
    return { ok: true, bytes: out };
  }
  return fail(`Sending text as ${encoding} is not available here; send it as UTF-8 or hex.`, 0);
}

/** Parses what the user typed into the bytes to send; all or nothing. */
export function parseSendInput(input: string, format: PayloadFormat, encoding: TextEncodingName, lineEnding: LineEnding): ParseResult {
  let result: ParseResult;
  if (format === 'hex') result = parseHex(input);
  else if (format === 'base64') {
    const compact = input.replace(/\s+/g, '');
    const bad = compact.search(/[^A-Za-z0-9+/=]/);
    if (bad >= 0) return fail(`Base64 payload has "${compact[bad]}" at position ${input.indexOf(compact[bad]) + 1}; use A-Z, a-z, 0-9, + and /.`, input.indexOf(compact[bad]));
    if (compact.length % 4 !== 0 || /=[^=]/.test(compact)) return fail('Base64 payload has the wrong length or padding; it must be a multiple of 4 characters.', input.length);
    result = { ok: true, bytes: base64ToBytes(compact) };
  } else result = encodeText(input, encoding);
  if (!result.ok || lineEnding === 'none') return result;
  const suffix = LINE_ENDING_BYTES[lineEnding];
  const bytes = new Uint8Array(result.bytes.length + suffix.length);
  bytes.set(result.bytes);
  bytes.set(suffix, result.bytes.length);
  return { ok: true, bytes };
}

/** Byte pattern for the log filter: "48 65" or "0x4865". Undefined when it is not valid hex. */
export function parseHexPattern(input: string): Uint8Array | undefined {
  const result = parseHex(input);
  return result.ok && result.bytes.length > 0 ? result.bytes : undefined;
}

export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let k = 0; k < needle.length; k++) if (haystack[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

export type CopyFormat = 'text' | 'hex' | 'c' | 'python' | 'node';

export const COPY_FORMATS: readonly { id: CopyFormat; label: string }[] = [
  { id: 'text', label: 'Text' },
  { id: 'hex', label: 'Hex' },
  { id: 'c', label: 'C array' },
  { id: 'python', label: 'Python bytes' },
  { id: 'node', label: 'Node Buffer.from' },
];

/** The record's bytes in a form ready to paste into code. */
export function formatForCopy(bytes: Uint8Array, format: CopyFormat, encoding: TextEncodingName): string {
  switch (format) {
    case 'text':
      return toVisibleText(bytes, encoding);
    case 'hex':
      return toHex(bytes);
    case 'c':
      return `const unsigned char data[${bytes.length}] = { ${Array.from(bytes, (b) => '0x' + HEX[b]).join(', ')} };`;
    case 'python': {
      let body = '';
      for (const b of bytes) body += b === 0x27 ? "\\'" : b === 0x5c ? '\\\\' : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '\\x' + HEX[b];
      return `b'${body}'`;
    }
    case 'node':
      return `Buffer.from([${Array.from(bytes, (b) => '0x' + HEX[b]).join(', ')}])`;
  }
}
