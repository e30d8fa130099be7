// What TCP: Compute Checksum computes over: bytes from a log row, or text selected in an editor or
// the panel, read as hex when it is hex (how people select bytes) and as UTF-8 text otherwise.
import { computeAll } from '../shared/checksum';
import { parseHex } from '../shared/parsePayload';
import { t } from '../shared/l10n';

export interface ChecksumSubject {
  bytes: Uint8Array;
  /** How the bytes were read, for the title: "6 bytes, read as hex". */
  described: string;
}

/** Reads selected text as bytes: hex if every character is a hex digit or separator, else UTF-8. */
export function checksumSubjectOfText(text: string): ChecksumSubject {
  const trimmed = text.trim();
  const hex = /[0-9a-f]/i.test(trimmed) ? parseHex(trimmed) : undefined;
  if (hex?.ok && hex.bytes.length > 0) return { bytes: hex.bytes, described: hex.bytes.length === 1 ? t('1 byte, read as hex') : t('{0} bytes, read as hex', hex.bytes.length) };
  const bytes = new TextEncoder().encode(text);
  return { bytes, described: bytes.length === 1 ? t('1 byte of UTF-8 text') : t('{0} bytes of UTF-8 text', bytes.length) };
}

/** One line per algorithm for the quick pick: its name and its value as sent, in hex. */
export function checksumLines(bytes: Uint8Array): { label: string; value: string }[] {
  return computeAll(bytes).map((row) => ({ label: row.label, value: row.hex }));
}
