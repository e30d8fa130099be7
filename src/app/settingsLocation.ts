// Where a setting sits in a settings file's text, so a warning about one preset entry can open the
// file at that entry. A small scanner over JSON with comments: it only finds positions, it never
// rewrites the file.

interface Token {
  /** A string's raw text without quotes, one punctuation character, or a bare word or number. */
  text: string;
  kind: 'string' | 'punct' | 'word';
  start: number;
}

function* tokens(text: string): Generator<Token> {
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    const next = text[i + 1];
    if (/\s/.test(ch)) i++;
    else if (ch === '/' && next === '/') while (i < text.length && text[i] !== '\n') i++;
    else if (ch === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (ch === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      yield { text: text.slice(i + 1, end), kind: 'string', start: i };
      i = end + 1;
    } else if ('{}[]:,'.includes(ch)) {
      yield { text: ch, kind: 'punct', start: i };
      i++;
    } else {
      const start = i;
      while (i < text.length && !/[\s{}[\]:,"/]/.test(text[i])) i++;
      yield { text: text.slice(start, i), kind: 'word', start };
    }
  }
}

/**
 * Where a setting's value sits in a settings file's text: the offset of entry `index` of the list
 * under `key` (or of the key itself for a negative index, or when the value is no list or too short).
 * Undefined when the key is not in the text. Used to open the file at the entry a warning is about.
 */
export function locateSettingEntry(text: string, key: string, index: number): number | undefined {
  const list = [...tokens(text)];
  for (let k = 0; k + 1 < list.length; k++) {
    if (list[k].kind !== 'string' || list[k].text !== key || list[k + 1].kind !== 'punct' || list[k + 1].text !== ':') continue;
    const keyStart = list[k].start;
    const open = list[k + 2];
    if (index < 0 || open?.kind !== 'punct' || open.text !== '[') return keyStart;
    let depth = 0;
    let element = 0;
    let atElementStart = true;
    for (let t = k + 3; t < list.length; t++) {
      const token = list[t];
      const punct = token.kind === 'punct' ? token.text : '';
      if (depth === 0 && punct === ']') return keyStart;
      if (depth === 0 && punct === ',') {
        element++;
        atElementStart = true;
        continue;
      }
      if (atElementStart && depth === 0) {
        if (element === index) return token.start;
        atElementStart = false;
      }
      if (punct === '[' || punct === '{') depth++;
      else if (punct === ']' || punct === '}') depth--;
    }
    return keyStart;
  }
  return undefined;
}

/**
 * The offset of a nested key in a settings file's text: `path[0]` at the top level (a dotted
 * setting name such as `tcpLab.environments`), each later name a key of the object before it.
 * Undefined when any step is missing. Used to open the file at an environment's variable.
 */
export function locateObjectKey(text: string, path: readonly string[]): number | undefined {
  const list = [...tokens(text)];
  let from = 0;
  let until = list.length;
  let found: number | undefined;
  for (const name of path) {
    found = undefined;
    let depth = 0;
    for (let t = from; t < until; t++) {
      const token = list[t];
      const punct = token.kind === 'punct' ? token.text : '';
      if (punct === '{' || punct === '[') depth++;
      else if (punct === '}' || punct === ']') depth--;
      // Keys of the object being searched sit one level inside its brace.
      else if (depth === 1 && token.kind === 'string' && token.text === name && list[t + 1]?.text === ':') {
        found = t;
        break;
      }
    }
    if (found === undefined) return undefined;
    // The value: an object's tokens up to its closing brace are the next step's range.
    from = found + 2;
    let depthAfter = 0;
    until = from;
    for (let t = from; t < list.length; t++) {
      const punct = list[t].kind === 'punct' ? list[t].text : '';
      if (punct === '{' || punct === '[') depthAfter++;
      else if (punct === '}' || punct === ']') depthAfter--;
      until = t + 1;
      if (depthAfter <= 0) break;
    }
  }
  return found === undefined ? undefined : list[found].start;
}

/**
 * The offset of the entry of the list under `key` (a top-level setting such as `tcpLab.presets`)
 * whose `"name"` is `name`; undefined when no entry has it. Go to definition on `PRESET name` uses it.
 */
export function locateNamedEntry(text: string, key: string, name: string): number | undefined {
  const list = [...tokens(text)];
  const keyAt = list.findIndex((t, k) => k > 0 && t.kind === 'string' && t.text === key && list[k + 1]?.text === ':' && list[k + 2]?.text === '[');
  if (keyAt < 0) return undefined;
  let depth = 0;
  let entryStart = -1;
  for (let t = keyAt + 2; t < list.length; t++) {
    const token = list[t];
    const punct = token.kind === 'punct' ? token.text : '';
    if (punct === '[' || punct === '{') {
      depth++;
      if (depth === 2 && punct === '{') entryStart = token.start;
    } else if (punct === ']' || punct === '}') {
      depth--;
      if (depth === 0) return undefined;
    } else if (depth === 2 && token.kind === 'string' && token.text === 'name' && list[t + 1]?.text === ':' && list[t + 2]?.kind === 'string' && list[t + 2].text === name) {
      return entryStart;
    }
  }
  return undefined;
}

/** Zero-based line and character of an offset. */
export function positionOf(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, character: offset - lineStart };
}
