// Bytes → text to paste elsewhere: source-code literals, hex, or text.
import type { TextEncodingName } from './payloadTypes';
import { toHex } from './hexFormat';
import { t } from './l10n';
import { decodeText, renderVisible } from './textStreamDecoder';

export type CopyFormat = 'hex' | 'c' | 'python' | 'node' | 'text' | 'escaped';

// Each label is a getter, so it is read in the panel's language when the dropdown is built.
export const COPY_FORMATS: readonly { id: CopyFormat; readonly label: string }[] = [
  { id: 'hex', get label() { return t('Hex'); } },
  { id: 'c', get label() { return t('C array'); } },
  { id: 'python', get label() { return t('Python bytes'); } },
  { id: 'node', get label() { return t('Node Buffer'); } },
  { id: 'text', get label() { return t('Text'); } },
  { id: 'escaped', get label() { return t('Text with escapes'); } },
];

const C_BYTES_PER_LINE = 12;

export function formatForCopy(bytes: Uint8Array, format: CopyFormat, encoding: TextEncodingName): string {
  switch (format) {
    case 'hex':
      return toHex(bytes, ' ');
    case 'c':
      return toCArray(bytes);
    case 'python':
      return toPythonBytes(bytes);
    case 'node':
      return toNodeBuffer(bytes);
    case 'text':
      return decodeText(bytes, encoding);
    case 'escaped':
      return renderVisible(bytes, encoding);
  }
}

function cByte(byte: number): string {
  return `0x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** `const unsigned char payload[N] = { 0x48, ... };`, wrapped so long payloads stay readable. */
export function toCArray(bytes: Uint8Array, name = 'payload'): string {
  if (bytes.length === 0) {
    // C forbids zero-length arrays, so an empty payload is a null pointer with a zero length.
    return `const unsigned char *${name} = 0;\nconst unsigned int ${name}_len = 0;`;
  }
  const lines: string[] = [];
  for (let start = 0; start < bytes.length; start += C_BYTES_PER_LINE) {
    lines.push('    ' + Array.from(bytes.subarray(start, start + C_BYTES_PER_LINE), cByte).join(', '));
  }
  return `const unsigned char ${name}[${bytes.length}] = {\n${lines.join(',\n')}\n};`;
}

/** A Python bytes literal: printable ASCII as itself, the usual short escapes, everything else \xhh. */
export function toPythonBytes(bytes: Uint8Array): string {
  let body = '';
  for (const byte of bytes) {
    if (byte === 0x5c) body += '\\\\';
    else if (byte === 0x27) body += "\\'";
    else if (byte === 0x0a) body += '\\n';
    else if (byte === 0x0d) body += '\\r';
    else if (byte === 0x09) body += '\\t';
    else if (byte >= 0x20 && byte <= 0x7e) body += String.fromCharCode(byte);
    else body += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `b'${body}'`;
}

/** `Buffer.from([0x48, 0x65])` for Node scripts and tests. */
export function toNodeBuffer(bytes: Uint8Array): string {
  return `Buffer.from([${Array.from(bytes, cByte).join(', ')}])`;
}
