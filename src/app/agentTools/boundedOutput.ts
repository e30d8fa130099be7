// What a tool returns goes into the model's context, so a flood from a peer must not fill it: every
// result is cut at a byte budget (UTF-8, as the model's input is counted) and says how much it left out.

/** The most a single tool result carries. */
export const MAX_RESULT_BYTES = 16 * 1024;

const encoder = new TextEncoder();

/** `text` itself when it fits in `limit` UTF-8 bytes, else its start and "… N more bytes not shown." */
export function boundText(text: string, limit = MAX_RESULT_BYTES): string {
  const bytes = encoder.encode(text);
  if (bytes.length <= limit) return text;
  const note = (rest: number): string => `\n… ${rest} more bytes not shown.`;
  // The note itself takes room; reserve it first so the whole result stays within the limit.
  const room = Math.max(0, limit - encoder.encode(note(bytes.length)).length);
  let cut = room;
  // Never cut inside a UTF-8 sequence: back up to the start of the character.
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
  const head = new TextDecoder().decode(bytes.subarray(0, cut));
  return head + note(bytes.length - cut);
}
