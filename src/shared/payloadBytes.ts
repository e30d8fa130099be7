// A payload as the panel, the quick-send bar and presets send it: dynamic variables resolved, the
// text parsed in its format, the checksum appended, then the line ending. One function, so the
// panel's live preview shows exactly the bytes the host will be asked to send.
import { appendChecksum, type ResolvedChecksum } from './checksum';
import { parsePayload, type PayloadOptions } from './parsePayload';
import { resolveDynamicVariables, type VariableScope } from './variables';

export interface PayloadSource {
  format: PayloadOptions['format'];
  data: string;
  checksum?: ResolvedChecksum;
}

export type PayloadBuild =
  | { ok: true; bytes: Uint8Array; /** The appended checksum bytes, for the preview. */ checksum?: Uint8Array }
  | { ok: false; error: string; /** Character offset in `data`, when the data was used as typed. */ position?: number };

/**
 * The bytes to send. The checksum covers the payload without its line ending, which follows it
 * (as in NMEA-style lines); `scope` resolves `{{$counter}}` and the other dynamic variables, and is
 * left out to preview without using up a counter value.
 */
export function buildPayload(source: PayloadSource, options: Omit<PayloadOptions, 'format'>, scope?: VariableScope): PayloadBuild {
  let text = source.data;
  if (scope) {
    const resolved = resolveDynamicVariables(text, scope);
    if (!resolved.ok) return { ok: false, error: resolved.error };
    text = resolved.value;
  }
  const parsed = parsePayload(text, { format: source.format, encoding: options.encoding, lineEnding: 'none' });
  if (!parsed.ok) return { ok: false, error: parsed.error.message, ...(text === source.data ? { position: parsed.error.position } : {}) };
  let bytes = parsed.bytes;
  let checksum: Uint8Array | undefined;
  if (source.checksum) {
    const appended = appendChecksum(bytes, source.checksum);
    if (!appended.ok) return { ok: false, error: appended.error };
    bytes = appended.bytes;
    checksum = appended.checksum;
  }
  if (options.lineEnding !== 'none') {
    // The parser owns what each line ending is in each format and encoding: ask it for the ending alone.
    const ending = parsePayload('', { format: source.format, encoding: options.encoding, lineEnding: options.lineEnding });
    if (!ending.ok) return { ok: false, error: ending.error.message };
    const joined = new Uint8Array(bytes.length + ending.bytes.length);
    joined.set(bytes);
    joined.set(ending.bytes, bytes.length);
    bytes = joined;
  }
  return { ok: true, bytes, ...(checksum ? { checksum } : {}) };
}
