// Bytes → text, chunk by chunk, never losing a byte.
//
// Every encoding is decoded by our own small state machine instead of TextDecoder, for two reasons:
// a character split across two network chunks must come out whole (so undecided trailing bytes are held
// until the next write), and an invalid byte must keep its value so the visible renderer can show it as
// \xHH rather than a U+FFFD that hides what was actually received.
//
// - utf-8: full validation (overlongs, surrogates and values above U+10FFFF are invalid); an invalid
//   sequence yields its first byte as invalid and decoding resumes at the next byte, so every byte of a
//   broken sequence is shown.
// - utf-16le: a lone surrogate yields its two bytes as invalid; an odd final byte is invalid.
// - gbk, gb18030, shift_jis: decoded with tables probed from the runtime's TextDecoder (multiByteTables),
//   so they agree with it; a lead byte whose sequence is unmapped or cut short is invalid and decoding
//   resumes at the next byte (as the WHATWG decoders do for ASCII trail bytes). The few code points with
//   duplicate byte forms (e.g. Shift_JIS NEC/IBM duplicates) show as the character and re-encode to the
//   canonical form.
// - latin1: every byte is U+0000..U+00FF (true ISO-8859-1, unlike TextDecoder's windows-1252 label).
// - ascii: bytes 0x80..0xFF are invalid.
import type { TextEncodingName } from './payloadTypes';
import {
  fourBytePointer,
  isMultiByteEncoding,
  multiByteTable,
  supplementaryFromPointer,
  type MultiByteTable,
} from './multiByteTables';

export interface TextStreamDecoderOptions {
  /**
   * Render control characters as \r \n \t \0 \xHH (or \uXXXX when the character is not that single byte
   * in this encoding), a backslash as \\, and invalid bytes as \xHH. The result fed back to parseText
   * gives the same bytes.
   */
  escapes?: boolean;
  /** With escapes: also break the line after each \n, for display only (breaks the exact round trip). */
  lineBreaks?: boolean;
}

interface Sink {
  char(codePoint: number): void;
  invalid(byte: number): void;
}

/** Decodes `bytes[0..]`; returns how many bytes were consumed (the rest wait for more input unless final). */
type DecodeRun = (bytes: Uint8Array, final: boolean, sink: Sink) => number;

const OUTPUT_CHUNK_UNITS = 8192;

/**
 * UTF-16 code units collected in a typed array and turned into a string in large slices: much
 * faster than building the text one character at a time, which matters for a 16 MiB log.
 */
class CodeUnitOutput {
  private units = new Uint16Array(1024);
  private used = 0;

  unit(value: number): void {
    if (this.used === this.units.length) {
      const next = new Uint16Array(this.units.length * 2);
      next.set(this.units);
      this.units = next;
    }
    this.units[this.used++] = value;
  }

  codePoint(codePoint: number): void {
    if (codePoint > 0xffff) {
      const offset = codePoint - 0x10000;
      this.unit(0xd800 + (offset >> 10));
      this.unit(0xdc00 + (offset & 0x3ff));
    } else {
      this.unit(codePoint);
    }
  }

  ascii(text: string): void {
    for (let i = 0; i < text.length; i++) {
      this.unit(text.charCodeAt(i));
    }
  }

  hexByte(byte: number): void {
    this.unit(0x5c);
    this.unit(0x78);
    this.unit(HEX_DIGIT_UNITS[byte >> 4]);
    this.unit(HEX_DIGIT_UNITS[byte & 0x0f]);
  }

  take(): string {
    let text = '';
    for (let start = 0; start < this.used; start += OUTPUT_CHUNK_UNITS) {
      const slice = this.units.subarray(start, Math.min(this.used, start + OUTPUT_CHUNK_UNITS));
      // apply() takes any array-like; a typed array avoids copying into a plain array first.
      text += String.fromCharCode.apply(null, slice as unknown as number[]);
    }
    this.used = 0;
    if (this.units.length > 65536) {
      // A one-off large decode should not keep its whole buffer alive for the decoder's lifetime.
      this.units = new Uint16Array(1024);
    }
    return text;
  }
}

const HEX_DIGIT_UNITS = Uint16Array.from('0123456789ABCDEF', (char) => char.charCodeAt(0));

class PlainSink implements Sink {
  constructor(private readonly out: CodeUnitOutput) {}

  char(codePoint: number): void {
    this.out.codePoint(codePoint);
  }

  invalid(): void {
    this.out.unit(0xfffd);
  }
}

class EscapingSink implements Sink {
  constructor(
    private readonly out: CodeUnitOutput,
    private readonly byteIdentical: (codePoint: number) => boolean,
    private readonly lineBreaks: boolean,
  ) {}

  char(codePoint: number): void {
    const out = this.out;
    // Printable ASCII and everything past the C1 controls is the common case: no escape.
    if ((codePoint >= 0x20 && codePoint < 0x7f && codePoint !== 0x5c) || (codePoint > 0x9f && codePoint !== 0xfeff)) {
      out.codePoint(codePoint);
      return;
    }
    switch (codePoint) {
      case 0x5c:
        return out.ascii('\\\\');
      case 0x0d:
        return out.ascii('\\r');
      case 0x0a:
        return out.ascii(this.lineBreaks ? '\\n\n' : '\\n');
      case 0x09:
        return out.ascii('\\t');
      case 0x00:
        return out.ascii('\\0');
    }
    // The remaining C0 and C1 controls, DEL and the invisible byte-order mark.
    if (this.byteIdentical(codePoint)) {
      out.hexByte(codePoint);
    } else {
      out.ascii(`\\u${codePoint.toString(16).toUpperCase().padStart(4, '0')}`);
    }
  }

  invalid(byte: number): void {
    this.out.hexByte(byte);
  }
}

export class TextStreamDecoder {
  private readonly decodeRun: DecodeRun;
  private readonly output = new CodeUnitOutput();
  private readonly sink: Sink;
  private pending = new Uint8Array(0);

  constructor(
    readonly encoding: TextEncodingName,
    options: TextStreamDecoderOptions = {},
  ) {
    this.decodeRun = decoderFor(encoding);
    this.sink = options.escapes
      ? new EscapingSink(this.output, byteIdenticalFor(encoding), options.lineBreaks === true)
      : new PlainSink(this.output);
  }

  /** Decode a chunk; bytes of a character not yet complete are held for the next write. */
  write(chunk: Uint8Array): string {
    return this.run(chunk, false);
  }

  /** Flush: held bytes that never became a character are reported as invalid. */
  end(chunk: Uint8Array = new Uint8Array(0)): string {
    return this.run(chunk, true);
  }

  /** Bytes held back waiting for the rest of a character. */
  get pendingBytes(): number {
    return this.pending.length;
  }

  reset(): void {
    this.pending = new Uint8Array(0);
  }

  private run(chunk: Uint8Array, final: boolean): string {
    let bytes = chunk;
    if (this.pending.length > 0) {
      bytes = new Uint8Array(this.pending.length + chunk.length);
      bytes.set(this.pending);
      bytes.set(chunk, this.pending.length);
    }
    const consumed = this.decodeRun(bytes, final, this.sink);
    this.pending = bytes.slice(consumed);
    return this.output.take();
  }
}

/** One-shot decode; invalid bytes become U+FFFD (use renderVisible to see them). */
export function decodeText(bytes: Uint8Array, encoding: TextEncodingName): string {
  return new TextStreamDecoder(encoding).end(bytes);
}

/** One-shot visible rendering: controls and invalid bytes as escapes that parseText turns back into the same bytes. */
export function renderVisible(bytes: Uint8Array, encoding: TextEncodingName): string {
  return new TextStreamDecoder(encoding, { escapes: true }).end(bytes);
}

/** Whether this code point is encoded as the single byte of the same value, so \xHH means the same thing. */
function byteIdenticalFor(encoding: TextEncodingName): (codePoint: number) => boolean {
  switch (encoding) {
    case 'latin1':
      return (codePoint) => codePoint <= 0xff;
    case 'utf-16le':
      return () => false;
    default: {
      if (isMultiByteEncoding(encoding)) {
        const table = multiByteTable(encoding);
        return (codePoint) => codePoint < 0x100 && table !== undefined && table.single[codePoint] === codePoint;
      }
      return (codePoint) => codePoint < 0x80;
    }
  }
}

function decoderFor(encoding: TextEncodingName): DecodeRun {
  switch (encoding) {
    case 'utf-8':
      return decodeUtf8;
    case 'utf-16le':
      return decodeUtf16le;
    case 'latin1':
      return (bytes, _final, sink) => {
        for (const byte of bytes) {
          sink.char(byte);
        }
        return bytes.length;
      };
    case 'ascii':
      return (bytes, _final, sink) => {
        for (const byte of bytes) {
          if (byte < 0x80) {
            sink.char(byte);
          } else {
            sink.invalid(byte);
          }
        }
        return bytes.length;
      };
    default: {
      const table = multiByteTable(encoding);
      if (!table) {
        // The runtime has no decoder for it: show every non-ASCII byte as invalid rather than guess.
        return decoderFor('ascii');
      }
      return (bytes, final, sink) => decodeMultiByte(table, bytes, final, sink);
    }
  }
}

/** Valid second-byte range for each UTF-8 lead byte (the rest of the continuation bytes are 80..BF). */
function utf8SecondByteRange(lead: number): [number, number, number] | undefined {
  if (lead >= 0xc2 && lead <= 0xdf) return [0x80, 0xbf, 2];
  if (lead === 0xe0) return [0xa0, 0xbf, 3];
  if (lead === 0xed) return [0x80, 0x9f, 3];
  if (lead >= 0xe1 && lead <= 0xef) return [0x80, 0xbf, 3];
  if (lead === 0xf0) return [0x90, 0xbf, 4];
  if (lead >= 0xf1 && lead <= 0xf3) return [0x80, 0xbf, 4];
  if (lead === 0xf4) return [0x80, 0x8f, 4];
  return undefined;
}

function decodeUtf8(bytes: Uint8Array, final: boolean, sink: Sink): number {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index];
    if (lead < 0x80) {
      sink.char(lead);
      index++;
      continue;
    }
    const range = utf8SecondByteRange(lead);
    if (!range) {
      sink.invalid(lead);
      index++;
      continue;
    }
    const [low, high, length] = range;
    let codePoint = lead & (length === 2 ? 0x1f : length === 3 ? 0x0f : 0x07);
    let valid = 1;
    for (let k = 1; k < length && index + k < bytes.length; k++) {
      const byte = bytes[index + k];
      const ok = k === 1 ? byte >= low && byte <= high : byte >= 0x80 && byte <= 0xbf;
      if (!ok) {
        break;
      }
      codePoint = (codePoint << 6) | (byte & 0x3f);
      valid++;
    }
    if (valid === length) {
      sink.char(codePoint);
      index += length;
    } else if (index + valid === bytes.length && !final) {
      // A valid prefix cut off by the chunk boundary: wait for the rest.
      return index;
    } else {
      sink.invalid(lead);
      index++;
    }
  }
  return index;
}

function decodeUtf16le(bytes: Uint8Array, final: boolean, sink: Sink): number {
  let index = 0;
  while (index + 1 < bytes.length) {
    const unit = bytes[index] | (bytes[index + 1] << 8);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      if (index + 3 >= bytes.length && !final) {
        return index;
      }
      const next = index + 3 < bytes.length ? bytes[index + 2] | (bytes[index + 3] << 8) : -1;
      if (next >= 0xdc00 && next <= 0xdfff) {
        sink.char(0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00));
        index += 4;
        continue;
      }
      sink.invalid(bytes[index]);
      sink.invalid(bytes[index + 1]);
      index += 2;
      continue;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) {
      sink.invalid(bytes[index]);
      sink.invalid(bytes[index + 1]);
    } else {
      sink.char(unit);
    }
    index += 2;
  }
  if (index < bytes.length && final) {
    sink.invalid(bytes[index]);
    index++;
  }
  return index;
}

function decodeMultiByte(table: MultiByteTable, bytes: Uint8Array, final: boolean, sink: Sink): number {
  const fourByte = table.fourByteBmp.length > 0;
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index];
    if (!table.isLead[lead]) {
      const codePoint = table.single[lead];
      if (codePoint >= 0) {
        sink.char(codePoint);
      } else {
        sink.invalid(lead);
      }
      index++;
      continue;
    }
    if (index + 1 >= bytes.length) {
      if (!final) {
        return index;
      }
      sink.invalid(lead);
      index++;
      continue;
    }
    const second = bytes[index + 1];
    if (fourByte && second >= 0x30 && second <= 0x39) {
      const codePoint = decodeFourByte(table, bytes, index);
      if (codePoint > 0) {
        sink.char(codePoint);
        index += 4;
      } else if (codePoint === 0 && !final) {
        return index;
      } else {
        sink.invalid(lead);
        index++;
      }
      continue;
    }
    const codePoint = table.double[(lead << 8) | second];
    if (codePoint > 0) {
      sink.char(codePoint);
      index += 2;
    } else {
      sink.invalid(lead);
      index++;
    }
  }
  return index;
}

/** gb18030 four-byte sequence at `index`: its code point, 0 if cut short by the end of input, -1 if invalid. */
function decodeFourByte(table: MultiByteTable, bytes: Uint8Array, index: number): number {
  if (index + 2 >= bytes.length) {
    return 0;
  }
  const third = bytes[index + 2];
  if (third < 0x81 || third > 0xfe) {
    return -1;
  }
  if (index + 3 >= bytes.length) {
    return 0;
  }
  const fourth = bytes[index + 3];
  if (fourth < 0x30 || fourth > 0x39) {
    return -1;
  }
  const pointer = fourBytePointer(bytes[index], bytes[index + 1], third, fourth);
  if (pointer < table.fourByteBmp.length) {
    return table.fourByteBmp[pointer] || -1;
  }
  return table.fourByteSupplementary ? supplementaryFromPointer(pointer) || -1 : -1;
}
