// The webview's byte helpers: base64 for the wire and a byte search for the filter. Everything
// about payload syntax, encodings and formatting comes from the shared modules, so the panel
// parses and renders exactly like the commands do.
import { parseHex } from '../shared/parsePayload';
import type { TextEncodingName } from '../shared/payloadTypes';
import { renderVisible, TextStreamDecoder } from '../shared/textStreamDecoder';

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

/** Text view of a whole record: control characters and invalid bytes as escapes. */
export function toVisibleText(bytes: Uint8Array, encoding: TextEncodingName): string {
  return renderVisible(bytes, encoding);
}

/**
 * Text view of the first bytes of a longer record. A character cut by the preview boundary is held
 * back rather than shown as invalid bytes it is not.
 */
export function toVisiblePrefix(bytes: Uint8Array, encoding: TextEncodingName): string {
  return new TextStreamDecoder(encoding, { escapes: true }).write(bytes);
}

/** Byte pattern for the log filter: "48 65" or "0x4865", or why it is not one. */
export function parseHexPattern(input: string): { bytes: Uint8Array } | { error: string } {
  const result = parseHex(input.trim());
  if (!result.ok) return { error: result.error.message };
  return result.bytes.length > 0 ? { bytes: result.bytes } : { error: 'The hex filter has no bytes; type some, such as 0D 0A.' };
}

export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let k = 0; k < needle.length; k++) if (haystack[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}
