// Names shared by every payload parser and formatter, in the host and in the webview.

export type PayloadFormat = 'text' | 'hex' | 'base64';

export const PAYLOAD_FORMATS: readonly PayloadFormat[] = ['text', 'hex', 'base64'];

export type LineEnding = 'none' | 'lf' | 'cr' | 'crlf';

export const LINE_ENDINGS: readonly LineEnding[] = ['none', 'lf', 'cr', 'crlf'];

export type TextEncodingName = 'utf-8' | 'latin1' | 'ascii' | 'utf-16le' | 'gbk' | 'gb18030' | 'shift_jis';

export const TEXT_ENCODINGS: readonly TextEncodingName[] = ['utf-8', 'latin1', 'ascii', 'utf-16le', 'gbk', 'gb18030', 'shift_jis'];

/** Where a payload parse went wrong: one sentence, and the 0-based character offset in the input. */
export interface ParseError {
  message: string;
  position: number;
}

/** A parse either yields every byte or none: a bad payload never half-sends. */
export type ParseResult = { ok: true; bytes: Uint8Array } | { ok: false; error: ParseError };
