// Received and expected bytes shown two ways, hex and readable text, for test messages, hovers and
// the CLI. Control characters are escaped so a stray CR or NUL is visible rather than swallowed.
import type { TextEncodingName } from '../../shared/payloadTypes';

export interface BytesView {
  hex: string;
  text: string;
  length: number;
}

/** Beyond this many bytes the view is cut, so a flood from a peer cannot swamp a report. */
export const VIEW_LIMIT = 4096;

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

export function decodeText(bytes: Uint8Array, encoding: TextEncodingName): string {
  if (encoding === 'latin1' || encoding === 'ascii') {
    return Array.from(bytes, (b) => String.fromCharCode(encoding === 'ascii' ? b & 0x7f : b)).join('');
  }
  try {
    return new TextDecoder(encoding).decode(bytes);
  } catch {
    // A runtime without the encoding's tables still shows something readable.
    return new TextDecoder('utf-8').decode(bytes);
  }
}

function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\\]/g, (c) => {
    switch (c) {
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      case '\\':
        return '\\\\';
      default:
        return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
    }
  });
}

export function viewBytes(bytes: Uint8Array, encoding: TextEncodingName): BytesView {
  const shown = bytes.length > VIEW_LIMIT ? bytes.subarray(0, VIEW_LIMIT) : bytes;
  const more = bytes.length > VIEW_LIMIT ? ` … (${bytes.length - VIEW_LIMIT} more bytes)` : '';
  return { hex: toHex(shown) + more, text: escapeControls(decodeText(shown, encoding)) + more, length: bytes.length };
}
