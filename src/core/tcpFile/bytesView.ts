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

/** `length`: how many bytes there were in all, when `bytes` holds only their start. */
export function viewBytes(bytes: Uint8Array, encoding: TextEncodingName, length = bytes.length): BytesView {
  const shown = bytes.length > VIEW_LIMIT ? bytes.subarray(0, VIEW_LIMIT) : bytes;
  const more = length > shown.length ? ` … (${length - shown.length} more bytes)` : '';
  return { hex: toHex(shown) + more, text: renderVisible(shown, encoding) + more, length };
}
