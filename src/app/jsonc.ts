// JSON with comments and trailing commas, the dialect of VS Code's settings files, read with the
// parser VS Code itself uses. Restricted Mode hides a restricted setting's workspace value from the
// configuration API entirely, so to *show* workspace presets there (without applying them) we read
// the settings file ourselves; the CLI reads the same files the same way.
import { parse, printParseErrorCode, type ParseError } from 'jsonc-parser';

/** Parses JSONC; throws a SyntaxError naming the first problem and where it is. */
export function parseJsonc(text: string): unknown {
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const [first] = errors;
    const { line, column } = position(text, first.offset);
    throw new SyntaxError(`${describeError(printParseErrorCode(first.error))} at line ${line}, column ${column}`);
  }
  return value;
}

/** `PropertyNameExpected` → `property name expected`. */
function describeError(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
