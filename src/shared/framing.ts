// How a received byte stream is cut into messages ("frames"). One definition is shared by the traffic
// panel (display), the auto-reply rules (what a rule matches) and listener presets (settings.json), so it
// is plain JSON data here, validated into a resolved form the core framer consumes.
import { validateChecksum, type ChecksumDefinition, type ResolvedChecksum } from './checksum';
import { describeValue, isRecord } from './describeValue';
import { keyList } from './keyList';

export type FramingMode = 'none' | 'delimiter' | 'lengthPrefix' | 'fixed' | 'markers';

export const FRAMING_MODES: readonly FramingMode[] = ['none', 'delimiter', 'lengthPrefix', 'fixed', 'markers'];

/** Default cap on one frame's content, so a peer that never sends a delimiter cannot grow memory forever. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

/** Hard ceiling for `maxFrameBytes` itself: a frame must fit comfortably in the extension host's memory. */
export const MAX_FRAME_BYTES_LIMIT = 256 * 1024 * 1024;

interface FramingCommon {
  /** Largest frame content accepted; longer frames are reported and skipped. Default 1 MiB. Not applied in `none` mode, whose frames are the chunks node delivers (at most 64 KiB each). */
  maxFrameBytes?: number;
  /**
   * Verify each frame's checksum: its last bytes are the checksum of the bytes before them (as a
   * send with the same definition appends it). A frame that fails is still shown, marked and counted.
   */
  checksum?: ChecksumDefinition | string;
}

/** Each chunk is reported exactly as TCP delivered it. */
export interface NoFraming extends FramingCommon {
  mode: 'none';
}

/** Frames end with a delimiter: `lf`, `crlf`, `cr`, `nul`, or any hex byte sequence such as `"1c 0d"`. */
export interface DelimiterFraming extends FramingCommon {
  mode: 'delimiter';
  delimiter: string;
  /** Keep the delimiter at the end of each frame (default false: strip it). */
  keepDelimiter?: boolean;
}

/**
 * Frames start with an unsigned integer length field. The body length is
 * `fieldValue + adjustment`, minus the field's own size when `lengthIncludesHeader` is true.
 */
export interface LengthPrefixFraming extends FramingCommon {
  mode: 'lengthPrefix';
  lengthBytes: 1 | 2 | 4 | 8;
  endian?: 'big' | 'little';
  adjustment?: number;
  lengthIncludesHeader?: boolean;
  /** Keep the length field at the start of each frame (default false: only the body). */
  keepHeader?: boolean;
}

/** Every frame is exactly `size` bytes. */
export interface FixedFraming extends FramingCommon {
  mode: 'fixed';
  size: number;
}

/** Frames are wrapped in start and end byte sequences (hex), e.g. STX `02` … ETX `03`, or MLLP `0b` … `1c 0d`. */
export interface MarkersFraming extends FramingCommon {
  mode: 'markers';
  start: string;
  end: string;
  /** Keep the markers around each frame (default false: only the content). */
  keepMarkers?: boolean;
}

export type FramingDefinition = NoFraming | DelimiterFraming | LengthPrefixFraming | FixedFraming | MarkersFraming;

/** Every key a framing definition may carry: the panel's message check keeps exactly these. */
export const FRAMING_KEYS = keyList<FramingDefinition>()(['mode', 'maxFrameBytes', 'checksum', 'delimiter', 'keepDelimiter', 'lengthBytes', 'endian', 'adjustment', 'lengthIncludesHeader', 'keepHeader', 'size', 'start', 'end', 'keepMarkers']);

/** A validated definition with every default filled in and every hex field decoded. */
export type ResolvedFraming = FrameCut & { checksum?: ResolvedChecksum };

/** How frames are cut, without the checksum check that may follow. */
type FrameCut =
  | { mode: 'none'; maxFrameBytes: number }
  | { mode: 'delimiter'; maxFrameBytes: number; delimiter: Uint8Array; keepDelimiter: boolean }
  | {
      mode: 'lengthPrefix';
      maxFrameBytes: number;
      lengthBytes: 1 | 2 | 4 | 8;
      endian: 'big' | 'little';
      adjustment: number;
      lengthIncludesHeader: boolean;
      keepHeader: boolean;
    }
  | { mode: 'fixed'; maxFrameBytes: number; size: number }
  | { mode: 'markers'; maxFrameBytes: number; start: Uint8Array; end: Uint8Array; keepMarkers: boolean };

export type FramingValidation = { ok: true; framing: ResolvedFraming } | { ok: false; error: string };

/** Friendly names for the delimiters people type most; anything else is read as hex. */
export const NAMED_DELIMITERS: Readonly<Record<string, readonly number[]>> = {
  lf: [0x0a],
  crlf: [0x0d, 0x0a],
  cr: [0x0d],
  nul: [0x00],
};

/** Longest delimiter or marker accepted: longer ones are almost certainly a pasted payload by mistake. */
export const MAX_MARKER_BYTES = 64;

const LENGTH_FIELD_SIZES = [1, 2, 4, 8] as const;

/**
 * Decodes a hex field such as `"1c 0d"`, `"1C0D"` or `"0x1c 0x0d"`. Returns a sentence naming `field`
 * and the offending character position when the text is not whole bytes of hex.
 */
export function decodeHexField(text: string, field: string, positionOffset = 0): { ok: true; bytes: Uint8Array } | { ok: false; error: string } {
  const digits: number[] = [];
  let pendingStart = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === ' ' || ch === '\t' || ch === ',' || ch === ':' || ch === '-') continue;
    if (ch === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X') && digits.length % 2 === 0) {
      i++;
      continue;
    }
    const value = parseInt(ch, 16);
    if (Number.isNaN(value)) {
      return { ok: false, error: `${field} has "${ch}" at position ${positionOffset + i + 1}, which is not a hex digit; use pairs like "0d 0a".` };
    }
    if (digits.length % 2 === 0) pendingStart = i;
    digits.push(value);
  }
  if (digits.length % 2 !== 0) {
    return { ok: false, error: `${field} has an unpaired hex digit at position ${positionOffset + pendingStart + 1}; write every byte as two digits.` };
  }
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = digits[2 * i] * 16 + digits[2 * i + 1];
  return { ok: true, bytes };
}



function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

function optionalBoolean(def: Record<string, unknown>, key: string, path: string): string | undefined {
  const value = def[key];
  if (value !== undefined && typeof value !== 'boolean') return `${path}.${key} must be true or false (got ${describeValue(value)}).`;
  return undefined;
}

function decodeMarker(def: Record<string, unknown>, key: string, path: string, named: boolean): { ok: true; bytes: Uint8Array } | { ok: false; error: string } {
  const value = def[key];
  if (typeof value !== 'string' || value.trim() === '') {
    const names = named ? '"lf", "crlf", "cr", "nul" or ' : '';
    return { ok: false, error: `${path}.${key} must be ${names}a hex byte sequence such as "1c 0d" (got ${describeValue(value)}).` };
  }
  const name = value.trim().toLowerCase();
  if (named && NAMED_DELIMITERS[name]) return { ok: true, bytes: Uint8Array.from(NAMED_DELIMITERS[name]) };
  const decoded = decodeHexField(value, `${path}.${key}`);
  if (!decoded.ok) return decoded;
  if (decoded.bytes.length === 0) return { ok: false, error: `${path}.${key} must contain at least one byte.` };
  if (decoded.bytes.length > MAX_MARKER_BYTES) {
    return { ok: false, error: `${path}.${key} is ${decoded.bytes.length} bytes long; use at most ${MAX_MARKER_BYTES}.` };
  }
  return decoded;
}

/**
 * Checks a framing definition from settings or the panel. `path` names it in messages
 * (e.g. `tcpLab.presets[2].framing`). Unknown extra keys are ignored so older versions tolerate newer presets.
 */
export function validateFraming(value: unknown, path = 'framing'): FramingValidation {
  const cut = validateCut(value, path);
  if (!cut.ok || !isRecord(value) || value.checksum === undefined) return cut;
  if (cut.framing.mode === 'none') {
    return { ok: false, error: `${path}.checksum needs frames to check: choose a framing mode other than "none" (the chunks TCP delivers are not messages).` };
  }
  const checksum = validateChecksum(value.checksum, `${path}.checksum`);
  return checksum.ok ? { ok: true, framing: { ...cut.framing, checksum: checksum.checksum } } : checksum;
}

function validateCut(value: unknown, path: string): FramingValidation {
  if (value === undefined) return { ok: true, framing: { mode: 'none', maxFrameBytes: DEFAULT_MAX_FRAME_BYTES } };
  if (!isRecord(value)) return { ok: false, error: `${path} must be an object with a "mode" (got ${describeValue(value)}).` };
  const mode = value.mode;
  if (typeof mode !== 'string' || !FRAMING_MODES.includes(mode as FramingMode)) {
    return { ok: false, error: `${path}.mode must be one of ${FRAMING_MODES.map((m) => `"${m}"`).join(', ')} (got ${describeValue(mode)}).` };
  }

  let maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  if (value.maxFrameBytes !== undefined) {
    if (!isPositiveInteger(value.maxFrameBytes) || value.maxFrameBytes > MAX_FRAME_BYTES_LIMIT) {
      return { ok: false, error: `${path}.maxFrameBytes must be a whole number from 1 to ${MAX_FRAME_BYTES_LIMIT} (got ${describeValue(value.maxFrameBytes)}).` };
    }
    maxFrameBytes = value.maxFrameBytes;
  }

  switch (mode as FramingMode) {
    case 'none':
      return { ok: true, framing: { mode: 'none', maxFrameBytes } };
    case 'delimiter': {
      const delimiter = decodeMarker(value, 'delimiter', path, true);
      if (!delimiter.ok) return delimiter;
      const error = optionalBoolean(value, 'keepDelimiter', path);
      if (error) return { ok: false, error };
      return { ok: true, framing: { mode: 'delimiter', maxFrameBytes, delimiter: delimiter.bytes, keepDelimiter: value.keepDelimiter === true } };
    }
    case 'lengthPrefix': {
      const lengthBytes = value.lengthBytes;
      if (!LENGTH_FIELD_SIZES.includes(lengthBytes as 1 | 2 | 4 | 8)) {
        return { ok: false, error: `${path}.lengthBytes must be 1, 2, 4 or 8 (got ${describeValue(lengthBytes)}).` };
      }
      const endian = value.endian ?? 'big';
      if (endian !== 'big' && endian !== 'little') {
        return { ok: false, error: `${path}.endian must be "big" or "little" (got ${describeValue(endian)}).` };
      }
      const adjustment = value.adjustment ?? 0;
      if (typeof adjustment !== 'number' || !Number.isSafeInteger(adjustment)) {
        return { ok: false, error: `${path}.adjustment must be a whole number, negative or positive (got ${describeValue(adjustment)}).` };
      }
      const error = optionalBoolean(value, 'lengthIncludesHeader', path) ?? optionalBoolean(value, 'keepHeader', path);
      if (error) return { ok: false, error };
      return {
        ok: true,
        framing: {
          mode: 'lengthPrefix',
          maxFrameBytes,
          lengthBytes: lengthBytes as 1 | 2 | 4 | 8,
          endian,
          adjustment,
          lengthIncludesHeader: value.lengthIncludesHeader === true,
          keepHeader: value.keepHeader === true,
        },
      };
    }
    case 'fixed': {
      if (!isPositiveInteger(value.size)) {
        return { ok: false, error: `${path}.size must be a whole number of bytes, at least 1 (got ${describeValue(value.size)}).` };
      }
      if (value.size > maxFrameBytes) {
        return { ok: false, error: `${path}.size (${value.size}) is larger than ${path}.maxFrameBytes (${maxFrameBytes}); raise maxFrameBytes or lower size.` };
      }
      return { ok: true, framing: { mode: 'fixed', maxFrameBytes, size: value.size } };
    }
    case 'markers': {
      const start = decodeMarker(value, 'start', path, false);
      if (!start.ok) return start;
      const end = decodeMarker(value, 'end', path, false);
      if (!end.ok) return end;
      const error = optionalBoolean(value, 'keepMarkers', path);
      if (error) return { ok: false, error };
      return { ok: true, framing: { mode: 'markers', maxFrameBytes, start: start.bytes, end: end.bytes, keepMarkers: value.keepMarkers === true } };
    }
  }
}
