// Received and expected bytes shown two ways, hex and readable text, for test messages, hovers and
// the CLI. The text uses the panel's visible rendering: controls and invalid bytes appear as the
// escapes a SEND or EXPECT text line would use, so a stray CR or NUL is visible and can be pasted back.
import { toHex } from '../../shared/hexFormat';
import type { TextEncodingName } from '../../shared/payloadTypes';
import { renderVisible } from '../../shared/textStreamDecoder';

export interface BytesView {
  hex: string;
  text: string;
  length: number;
}

/** Beyond this many bytes the view is cut, so a flood from a peer cannot swamp a report. */
export const VIEW_LIMIT = 4096;

export function viewBytes(bytes: Uint8Array, encoding: TextEncodingName): BytesView {
  const shown = bytes.length > VIEW_LIMIT ? bytes.subarray(0, VIEW_LIMIT) : bytes;
  const more = bytes.length > VIEW_LIMIT ? ` … (${bytes.length - VIEW_LIMIT} more bytes)` : '';
  return { hex: toHex(shown) + more, text: renderVisible(shown, encoding) + more, length: bytes.length };
}
