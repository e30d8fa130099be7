// Bytes → hex text: a plain hex string and the classic three-column dump (and the dump read back).
import type { ParseResult } from './payloadTypes';
import { ByteWriter } from './byteWriter';
import { parseHex } from './parsePayload';

const HEX_PAIRS = Array.from({ length: 256 }, (_, byte) => byte.toString(16).toUpperCase().padStart(2, '0'));

export const HEX_DUMP_BYTES_PER_LINE = 16;

/** "48 65 6C" (uppercase; the separator goes between bytes only). */
export function toHex(bytes: Uint8Array, separator = ' '): string {
  const parts = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    parts[i] = HEX_PAIRS[bytes[i]];
  }
  return parts.join(separator);
}

/**
 * Dump lines `offset | 16 hex bytes | ASCII`, e.g. `00000010 | 48 65 ... | He..`. Offsets count from
 * `startOffset` (so a dump of a later chunk continues the numbering); bytes outside 0x20..0x7E show as '.'.
 */
export function hexDumpLines(bytes: Uint8Array, startOffset = 0): string[] {
  const lines: string[] = [];
  const offsetWidth = Math.max(8, (startOffset + bytes.length).toString(16).length);
  const hexWidth = HEX_DUMP_BYTES_PER_LINE * 3 - 1;
  for (let lineStart = 0; lineStart < bytes.length; lineStart += HEX_DUMP_BYTES_PER_LINE) {
    const slice = bytes.subarray(lineStart, lineStart + HEX_DUMP_BYTES_PER_LINE);
    let ascii = '';
    for (const byte of slice) {
      ascii += byte >= 0x20 && byte <= 0x7e ? String.fromCharCode(byte) : '.';
    }
    const offset = (startOffset + lineStart).toString(16).toUpperCase().padStart(offsetWidth, '0');
    lines.push(`${offset} | ${toHex(slice).padEnd(hexWidth, ' ')} | ${ascii}`);
  }
  return lines;
}

export function hexDump(bytes: Uint8Array, startOffset = 0): string {
  return hexDumpLines(bytes, startOffset).join('\n');
}

/**
 * Read a dump made by hexDump back into bytes: only the middle column counts (the ASCII column may
 * itself contain '|'). Positions in errors refer to the whole dump text.
 */
export function parseHexDump(dump: string): ParseResult {
  const writer = new ByteWriter(dump.length / 4);
  let lineStart = 0;
  for (const line of dump.split('\n')) {
    if (line.trim() !== '') {
      const first = line.indexOf('|');
      const second = first < 0 ? -1 : line.indexOf('|', first + 1);
      if (second < 0) {
        return {
          ok: false,
          error: { message: `Invalid hex dump at position ${lineStart}: the line has no 'offset | hex | ASCII' columns; paste lines as produced by the dump view.`, position: lineStart },
        };
      }
      const parsed = parseHex(line.slice(first + 1, second));
      if (!parsed.ok) {
        const position = lineStart + first + 1 + parsed.error.position;
        return { ok: false, error: { message: parsed.error.message.replace(/position \d+/, `position ${position}`), position } };
      }
      writer.append(parsed.bytes);
    }
    lineStart += line.length + 1;
  }
  return { ok: true, bytes: writer.toBytes() };
}
