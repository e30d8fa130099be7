// Wrapping log lines to the columns the log has. The virtual log needs every row's height before
// the browser lays it out, so lines are cut here, by display width, rather than by CSS.

/** Characters a monospace font draws two columns wide (CJK, Hangul, full-width forms, emoji planes). */
function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    code >= 0x1f300
  );
}

/** Columns a line takes in a monospace font. */
export function displayWidth(line: string): number {
  let width = 0;
  for (const char of line) width += isWide(char.codePointAt(0) ?? 0) ? 2 : 1;
  return width;
}

/** Cuts a line into pieces of at most `columns` columns (at least one character each). */
export function wrapLine(line: string, columns: number): string[] {
  if (line.length <= columns && displayWidth(line) <= columns) return [line];
  const pieces: string[] = [];
  let piece = '';
  let width = 0;
  for (const char of line) {
    const w = isWide(char.codePointAt(0) ?? 0) ? 2 : 1;
    if (width + w > columns && piece) {
      pieces.push(piece);
      piece = '';
      width = 0;
    }
    piece += char;
    width += w;
  }
  pieces.push(piece);
  return pieces;
}

const DUMP_OFFSET = 8;
const DUMP_HEX_COLUMN = 16 * 3 - 1;

/**
 * How many lines wrapDumpLine makes of a dump line with `bytes` bytes (and `suffix` characters after
 * its ASCII), without building it: a long log's row heights are laid out by count alone.
 * Valid for the 8-digit offsets of a row preview.
 */
export function wrappedDumpLineCount(bytes: number, suffix: number, columns: number): number {
  const length = DUMP_OFFSET + 3 + DUMP_HEX_COLUMN + 3 + bytes + suffix;
  if (length <= columns) return 1;
  const hexIndent = DUMP_OFFSET + 3;
  const perLine = Math.floor((columns - hexIndent + 1) / 3);
  if (perLine < 1) return Math.ceil(length / columns);
  return Math.max(1, Math.ceil(bytes / perLine)) + Math.max(1, Math.ceil((DUMP_OFFSET + 3 + bytes + suffix) / columns));
}

/**
 * A dump line (`offset | hex | ASCII`) that does not fit breaks before its ASCII column, then between
 * whole bytes, continuation lines indented under the column they continue: bytes and characters
 * stay readable as columns.
 */
export function wrapDumpLine(line: string, columns: number): string[] {
  if (line.length <= columns) return [line];
  const first = line.indexOf(' | ');
  const second = first < 0 ? -1 : line.indexOf(' | ', first + 3);
  const hexIndent = first + 3;
  const perLine = Math.floor((columns - hexIndent + 1) / 3);
  if (second < 0 || perLine < 1) return wrapLine(line, columns);
  const bytes = line.slice(hexIndent, second).trim().split(' ').filter(Boolean);
  const lines: string[] = [];
  for (let i = 0; i < bytes.length || i === 0; i += perLine) {
    lines.push((i === 0 ? line.slice(0, hexIndent) : ' '.repeat(hexIndent)) + bytes.slice(i, i + perLine).join(' '));
  }
  return [...lines, ...wrapLine(' '.repeat(first) + line.slice(second), columns)];
}
