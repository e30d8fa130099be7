// A small reader for JSON with comments and trailing commas, the dialect of VS Code's settings files.
// Restricted Mode hides a restricted setting's workspace value from the configuration API entirely, so
// to *show* workspace presets there (without applying them) we read the settings file ourselves.

/** Parses JSONC; throws a SyntaxError for anything JSON.parse would reject once comments are gone. */
export function parseJsonc(text: string): unknown {
  return JSON.parse(stripJsonc(text));
}

/** Removes comments and trailing commas outside strings, keeping everything else byte for byte. */
export function stripJsonc(text: string): string {
  let out = '';
  let i = 0;
  // A comma is held back until we know whether a closing bracket follows it.
  let pendingComma = false;
  const flushComma = (): void => {
    if (pendingComma) out += ',';
    pendingComma = false;
  };
  while (i < text.length) {
    const ch = text[i];
    const next = text[i + 1];
    if (ch === '"') {
      flushComma();
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      out += text.slice(i, end + 1);
      i = end + 1;
    } else if (ch === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (ch === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (ch === ',') {
      flushComma();
      pendingComma = true;
      i++;
    } else if (ch === '}' || ch === ']') {
      pendingComma = false;
      out += ch;
      i++;
    } else if (/\s/.test(ch)) {
      out += ch;
      i++;
    } else {
      flushComma();
      out += ch;
      i++;
    }
  }
  flushComma();
  return out;
}
