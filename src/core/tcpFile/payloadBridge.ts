// INTERIM until src/shared/payload.ts lands on main: a minimal stand-in with the same signature.
// This file is replaced by a re-export of the shared parser at merge time.
import type { LineEnding, ParseResult, PayloadFormat, TextEncodingName } from '../../shared/payloadTypes';

export interface PayloadOptions {
  format: PayloadFormat;
  encoding?: TextEncodingName;
  lineEnding?: LineEnding;
}

const ENDINGS: Record<LineEnding, string> = { none: '', lf: '\n', cr: '\r', crlf: '\r\n' };

export function parsePayload(input: string, options: PayloadOptions): ParseResult {
  if (options.format === 'hex') return parseHex(input);
  if (options.format === 'base64') {
    const compact = input.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return { ok: false, error: { message: 'Invalid base64.', position: 0 } };
    return { ok: true, bytes: new Uint8Array(Buffer.from(compact, 'base64')) };
  }
  let text = '';
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== '\\') {
      text += c;
      continue;
    }
    const n = input[i + 1];
    const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', '0': '\0', '\\': '\\' };
    if (n !== undefined && n in simple) {
      text += simple[n];
      i++;
    } else if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(input.slice(i + 2, i + 4))) {
      text += String.fromCharCode(parseInt(input.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      return { ok: false, error: { message: `Invalid escape at position ${i + 1}.`, position: i } };
    }
  }
  text += ENDINGS[options.lineEnding ?? 'none'];
  return { ok: true, bytes: new Uint8Array(Buffer.from(text, options.encoding === 'latin1' ? 'latin1' : 'utf8')) };
}

export function parseHex(input: string): ParseResult {
  const digits: number[] = [];
  const positions: number[] = [];
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (/\s/.test(c)) continue;
    if (!/[0-9a-fA-F]/.test(c)) {
      return { ok: false, error: { message: `Invalid hex digit '${c}' at position ${i + 1}: use 0-9 and a-f.`, position: i } };
    }
    digits.push(parseInt(c, 16));
    positions.push(i);
  }
  if (digits.length % 2 !== 0) {
    return { ok: false, error: { message: 'Odd number of hex digits: add the missing digit.', position: positions[positions.length - 1] } };
  }
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = digits[2 * i] * 16 + digits[2 * i + 1];
  return { ok: true, bytes };
}
