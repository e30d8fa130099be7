// Editor help for `.tcp` files that needs no editor: the outline, keyword and variable completion,
// go to definition and "which block is the cursor in". The host turns these plain shapes into
// VS Code symbols, completion items and locations; everything here is decided from the parse.
import { LINE_ENDINGS, TEXT_ENCODINGS } from '../../shared/payloadTypes';
import { TLS_VERSIONS } from '../../shared/tls';
import { TLS_EXPECT_FIELDS, type TcpBlock, type TcpFile, type TcpRange, type TcpStep, type TcpTarget } from './model';
import { DIRECTIVES } from './parser';
import { FRAMING_SHORT_NAMES } from './framing';
import { formatHostPort } from '../../shared/hostPort';
import { DYNAMIC_VARIABLES, findPlaceholders } from './variables';

/** A span over one or more lines; end exclusive. */
export interface TcpSpan {
  startLine: number;
  startCol: number;
  endLine: number;
  endCol: number;
}

export type TcpSymbolKind = 'block' | 'target' | 'step' | 'variable';

/** One outline entry: a block with its target and steps, or a file variable. */
export interface TcpSymbol {
  name: string;
  detail: string;
  kind: TcpSymbolKind;
  /** The whole entry (a block spans its header to its last non-blank line). */
  range: TcpSpan;
  /** What the editor selects when the entry is picked: the name. */
  selection: TcpSpan;
  children: TcpSymbol[];
}

function lineSpan(range: TcpRange): TcpSpan {
  return { startLine: range.line, startCol: range.startCol, endLine: range.line, endCol: range.endCol };
}

/** `CONNECT 127.0.0.1:7000`, `LISTEN …`, `PRESET name`: what a block talks to, as written. */
export function describeTarget(target: TcpTarget): string {
  return target.kind === 'preset' ? `PRESET ${target.name}` : `${target.kind.toUpperCase()} ${target.address}`;
}

function describeStep(step: TcpStep): string {
  switch (step.kind) {
    case 'send':
      return `SEND ${step.format}`;
    case 'sendFile':
      return 'SEND file';
    case 'startTls':
      return 'STARTTLS';
    default:
      return step.tlsField ? `EXPECT tls ${step.tlsField}` : `EXPECT ${step.match}`;
  }
}

function stepText(step: TcpStep): string {
  if (step.kind === 'sendFile') return step.path;
  if (step.kind === 'startTls') return '';
  const text = step.body.text;
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

/**
 * The last line of a block that is neither blank nor an `@name` line, so a block's outline range
 * does not swallow the gap below it or overlap a variable listed beside it.
 */
function lastUsedLine(block: TcpBlock, lines: readonly string[]): number {
  let end = block.endLine;
  while (end > block.headerLine && /^\s*(@.*)?$/.test(lines[end] ?? '')) end--;
  return end;
}

/**
 * The outline of a parsed file: file variables first (as they are written, in file order), then
 * each block named by its `###` text with its target as detail and its target and steps as children.
 */
export function tcpOutline(file: TcpFile, lines: readonly string[]): TcpSymbol[] {
  const symbols: TcpSymbol[] = [];
  for (const variable of file.variables.values()) {
    const line = variable.range.line;
    symbols.push({
      name: `@${variable.name}`,
      detail: variable.value,
      kind: 'variable',
      range: { startLine: line, startCol: 0, endLine: line, endCol: (lines[line] ?? '').length },
      selection: lineSpan(variable.range),
      children: [],
    });
  }
  for (const block of file.blocks) {
    const header = lines[block.headerLine] ?? '';
    const end = lastUsedLine(block, lines);
    const nameAt = header.startsWith('###') ? Math.max(3, header.indexOf(block.name, 3)) : 0;
    const children: TcpSymbol[] = [];
    if (block.target) {
      const t = block.target;
      children.push({ name: describeTarget(t), detail: '', kind: 'target', range: lineSpan(t.range), selection: lineSpan(t.range), children: [] });
    }
    for (const step of block.steps) {
      children.push({ name: describeStep(step), detail: stepText(step), kind: 'step', range: lineSpan(step.range), selection: lineSpan(step.range), children: [] });
    }
    symbols.push({
      name: block.name,
      detail: block.target ? describeTarget(block.target) : 'no target',
      kind: 'block',
      range: { startLine: block.headerLine, startCol: 0, endLine: end, endCol: (lines[end] ?? '').length },
      selection: { startLine: block.headerLine, startCol: header.startsWith('###') ? nameAt : 0, endLine: block.headerLine, endCol: header.length },
      children,
    });
  }
  // Editors list the outline by position; variables may sit between blocks.
  return symbols.sort((a, b) => a.range.startLine - b.range.startLine);
}

/**
 * The block a cursor on `line` belongs to: from its header (or first line) to the line before the
 * next `###`. Lines above the first block (file variables, comments) belong to none.
 */
export function blockAtLine(file: TcpFile, line: number): TcpBlock | undefined {
  return file.blocks.find((block) => line >= block.startLine && line <= block.endLine);
}

export type TcpCompletionKind = 'keyword' | 'value' | 'variable' | 'environment' | 'dynamic';

export interface TcpCompletion {
  label: string;
  kind: TcpCompletionKind;
  detail: string;
  /** A snippet in VS Code's snippet syntax when it differs from the label. */
  snippet?: string;
}

const DIRECTIVE_HELP: Record<string, string> = {
  CONNECT: 'Connect to host:port (the block’s target)',
  LISTEN: 'Listen on host:port and talk to the first client (the block’s target)',
  PRESET: 'Use a preset from tcpLab.presets as the target',
  ENCODING: 'Text encoding of this block’s text payloads',
  'LINE-ENDING': 'Appended to each SEND text line',
  FRAMING: 'How received bytes are cut into messages for EXPECT',
  TIMEOUT: 'How long each EXPECT waits in this block',
  SEND: 'Send a payload: text, hex, base64 or file',
  EXPECT: 'Wait for the peer: text, hex, regex, close, nothing or tls',
  STARTTLS: 'Upgrade the connection to TLS here',
};

const SEND_FORMATS: Record<string, string> = {
  text: 'Text with escapes such as \\r\\n',
  hex: 'Hex bytes such as 48 65 6c',
  base64: 'Base64 bytes',
  file: 'The bytes of a file, relative to this one',
};

const EXPECT_KINDS: Record<string, string> = {
  within: 'A timeout for this EXPECT only, such as within 2s',
  text: 'The next message equals this text',
  hex: 'The next message equals these bytes',
  regex: 'The received text matches a pattern',
  close: 'The peer closes the connection',
  nothing: 'Nothing arrives for a while, such as nothing 500ms',
  tls: 'A property of the TLS session',
};

function values(labels: readonly string[], detail: string): TcpCompletion[] {
  return labels.map((label) => ({ label, kind: 'value' as const, detail }));
}

/**
 * Keywords and option values that fit where the cursor is: a directive at the start of a line, a
 * format after SEND, a kind after EXPECT, a value after ENCODING and the like. Undefined inside a
 * `{{` (variable completion answers there), in a comment, in a payload or on an `@name` line.
 */
export function keywordCompletions(lineText: string, character: number): TcpCompletion[] | undefined {
  const before = lineText.slice(0, character);
  const trimmed = before.trimStart();
  if (trimmed.startsWith('#') || trimmed.startsWith('//') || trimmed.startsWith('@')) return undefined;
  if (insidePlaceholder(before)) return undefined;
  const words = trimmed.split(/\s+/);
  // The word being typed is the last one (empty right after a space).
  const typed = words.length - 1;
  if (typed === 0) {
    return DIRECTIVES.map((label) => ({ label, kind: 'keyword' as const, detail: DIRECTIVE_HELP[label] ?? 'TLS option for a tls:// target or STARTTLS' }));
  }
  const directive = words[0].toUpperCase();
  if (directive === 'SEND' && typed === 1) return Object.entries(SEND_FORMATS).map(([label, detail]) => ({ label, kind: 'keyword' as const, detail }));
  if (directive === 'EXPECT') {
    const afterWithin = words[1]?.toLowerCase() === 'within' ? 2 : 0;
    const kindAt = 1 + afterWithin;
    if (typed === kindAt) {
      return Object.entries(EXPECT_KINDS)
        .filter(([label]) => afterWithin === 0 || label !== 'within')
        .map(([label, detail]) => ({ label, kind: 'keyword' as const, detail }));
    }
    if (typed === kindAt + 1 && words[kindAt]?.toLowerCase() === 'tls') return values(TLS_EXPECT_FIELDS, 'TLS session property');
    return undefined;
  }
  if (typed !== 1) return undefined;
  switch (directive) {
    case 'ENCODING':
      return values(TEXT_ENCODINGS, 'Text encoding');
    case 'LINE-ENDING':
    case 'LINE_ENDING':
    case 'LINEENDING':
    case 'EOL':
      return values(LINE_ENDINGS, 'Line ending');
    case 'FRAMING':
      return values(Object.keys(FRAMING_SHORT_NAMES), 'Framing (or a JSON framing definition)');
    case 'TLS-MIN':
    case 'TLS-MAX':
      return values(TLS_VERSIONS, 'TLS version');
    case 'TLS-INSECURE':
      return values(['true', 'false'], 'Skip certificate checks');
    default:
      return undefined;
  }
}

/** True when the text before the cursor has an open `{{` not closed yet. */
export function insidePlaceholder(before: string): boolean {
  const open = before.lastIndexOf('{{');
  return open >= 0 && before.indexOf('}}', open) < 0;
}

export const DYNAMIC_VARIABLE_HELP: Record<(typeof DYNAMIC_VARIABLES)[number], { snippet: string; detail: string }> = {
  $counter: { snippet: '$counter', detail: '1, 2, 3 … : one more for every payload that uses it in this run' },
  $datetime: { snippet: '$datetime ${1|iso8601,rfc1123|}', detail: 'The date and time in UTC, ISO 8601 or RFC 1123' },
  $timestamp: { snippet: '$timestamp', detail: 'Unix time in seconds, when the block runs' },
  $randomInt: { snippet: '$randomInt ${1:0} ${2:100}', detail: 'A random integer, min ≤ n < max' },
  $uuid: { snippet: '$uuid', detail: 'A random UUID v4' },
};

/**
 * The names a `{{` can take: the file's variables, then the selected environment's (over
 * `$shared`) that the file does not override, then the dynamic `$` variables.
 */
export function variableCompletions(file: TcpFile, environment: Readonly<Record<string, string>>, environmentName: string | undefined): TcpCompletion[] {
  const items: TcpCompletion[] = [];
  for (const variable of file.variables.values()) items.push({ label: variable.name, kind: 'variable', detail: `${variable.value} (file)` });
  for (const [name, value] of Object.entries(environment)) {
    if (!file.variables.has(name)) items.push({ label: name, kind: 'environment', detail: `${value} (${environmentName ?? '$shared'})` });
  }
  for (const name of DYNAMIC_VARIABLES) items.push({ label: name, kind: 'dynamic', detail: DYNAMIC_VARIABLE_HELP[name].detail, snippet: DYNAMIC_VARIABLE_HELP[name].snippet });
  return items;
}

/** Where a name under the cursor is defined: a file variable's `@name` line, or an environment entry. */
export type TcpDefinition =
  | { kind: 'file'; name: string; range: TcpRange }
  | { kind: 'preset'; name: string }
  | { kind: 'environment'; name: string; /** `$shared` when the selected environment does not define it itself. */ environment: string };

/** The preset name under the cursor on a `PRESET name` line. */
function presetAt(file: TcpFile, lineText: string, character: number): string | undefined {
  for (const block of file.blocks) {
    const t = block.target;
    if (t?.kind === 'preset' && lineText.slice(t.range.startCol, t.range.endCol) === t.name && character >= t.range.startCol && character <= t.range.endCol) return t.name;
  }
  return undefined;
}

/**
 * Go to definition for the `{{name}}` under the cursor: its `@name = …` line when the file defines it
 * (the file wins, as at run time), else the environment entry that supplies it; and for the name on
 * a `PRESET name` line, that preset. Undefined for a `{{$dynamic}}`, an unknown name, or a cursor
 * elsewhere.
 */
export function findDefinition(
  file: TcpFile,
  lineText: string,
  character: number,
  environments: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
  selectedEnvironment: string | undefined,
): TcpDefinition | undefined {
  const preset = presetAt(file, lineText, character);
  if (preset) return { kind: 'preset', name: preset };
  const placeholder = findPlaceholders(lineText).find((p) => character >= p.start && character <= p.end);
  if (!placeholder || placeholder.name.startsWith('$')) return undefined;
  const name = placeholder.name;
  const variable = file.variables.get(name);
  if (variable) return { kind: 'file', name, range: variable.range };
  const has = (env: string | undefined): boolean => env !== undefined && Object.prototype.hasOwnProperty.call(environments[env] ?? {}, name);
  if (selectedEnvironment !== '$shared' && has(selectedEnvironment)) return { kind: 'environment', name, environment: selectedEnvironment as string };
  if (has('$shared')) return { kind: 'environment', name, environment: '$shared' };
  return undefined;
}

/**
 * The text of a new `.tcp` file: blocks against a listener's host and port (the one the user just
 * started, when there is one; a wildcard bind is reached on loopback), else 127.0.0.1:7000, with a
 * SEND and an EXPECT to try Send and Send & Check on.
 */
export function starterTcpFile(listener: { host: string; port: number } | undefined): string {
  const wildcard: Record<string, string> = { '0.0.0.0': '127.0.0.1', '::': '::1' };
  const target = listener ? formatHostPort(wildcard[listener.host] ?? listener.host, listener.port) : '127.0.0.1:7000';
  return [
    '// A .tcp file: blocks of CONNECT/LISTEN, SEND and EXPECT lines. Click Send above a block,',
    '// or put the cursor in it and run TCP: Send Block at Cursor (Ctrl+Alt+R, Cmd+Alt+R on macOS).',
    '@greeting = hello from a .tcp file',
    '',
    '### Say hello',
    `CONNECT ${target}`,
    'LINE-ENDING lf',
    'SEND text {{greeting}}',
    '',
    '### Say hello in hex and wait for an answer',
    `CONNECT ${target}`,
    'SEND hex 68 65 6c 6c 6f 0a',
    'EXPECT within 5s regex .+',
    '',
  ].join('\n');
}
