// Parser for `*.tcp` files. It never throws: every problem becomes a diagnostic with the exact
// range to underline, so the editor can mark it while the user types and the runner can refuse
// a broken block before any socket opens.
import { LINE_ENDINGS, TEXT_ENCODINGS, type LineEnding, type PayloadFormat, type TextEncodingName } from '../../shared/payloadTypes';
import {
  TLS_EXPECT_FIELDS,
  type TlsExpectField,
  type BlockOptions,
  type ExpectKind,
  type ExpectStep,
  type FileVariable,
  type PayloadBody,
  type TcpBlock,
  type TcpDiagnostic,
  type TcpFile,
  type TcpRange,
  type TcpSeverity,
} from './model';
import { parsePayload } from '../../shared/parsePayload';
import { findPlaceholders, isDefined, placeholderShapeError } from './variables';
import { isPortNumber, splitHostPort, validateHostText } from '../../shared/hostPort';
import { TLS_VERSIONS, validateTlsOptions, type TlsOptions } from '../../shared/tls';
import { FRAMING_SHORT_NAMES, parseTcpFraming } from './framing';
import { findChecksumClause, parseChecksumClause } from './checksumClause';
import type { ResolvedChecksum } from '../../shared/checksum';

export interface ParseOptions {
  /** Names from `tcpLab.presets`; when given, `PRESET x` is checked against them. */
  presetNames?: readonly string[];
  /** The selected environment's variables, so `{{name}}` defined there is not reported as unknown. */
  environment?: Readonly<Record<string, string>>;
}

/** Diagnostics listed per file: a 50 MiB file of junk must not build a million of them. */
export const MAX_DIAGNOSTICS = 1000;

export const TLS_DIRECTIVES = ['TLS-SERVERNAME', 'TLS-ALPN', 'TLS-CA', 'TLS-CERT', 'TLS-KEY', 'TLS-INSECURE', 'TLS-MIN', 'TLS-MAX'] as const;

export const DIRECTIVES = ['CONNECT', 'LISTEN', 'PRESET', 'ENCODING', 'LINE-ENDING', 'FRAMING', 'TIMEOUT', 'SEND', 'EXPECT', ...TLS_DIRECTIVES, 'STARTTLS'] as const;

const OPTION_ALIASES: Record<string, string> = { LINEENDING: 'LINE-ENDING', LINE_ENDING: 'LINE-ENDING', EOL: 'LINE-ENDING' };

/** `500ms`, `2s`, `1.5s`, `1m`, or a bare number of milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/i.exec(text);
  if (!m) return undefined;
  const scale = { ms: 1, s: 1000, m: 60_000 }[(m[2] ?? 'ms').toLowerCase() as 'ms' | 's' | 'm'];
  return Math.round(Number(m[1]) * scale);
}

/** A word of a line, with the column where it starts. */
interface Word {
  text: string;
  start: number;
  end: number;
}

function nextWord(line: string, from: number): Word | undefined {
  const re = /\S+/g;
  re.lastIndex = from;
  const m = re.exec(line);
  return m ? { text: m[0], start: m.index, end: m.index + m[0].length } : undefined;
}

/** The rest of a line after `from`, trimmed, with its columns. */
function restOf(line: string, from: number): Word {
  const tail = line.slice(from);
  const lead = tail.length - tail.trimStart().length;
  const text = tail.trim();
  return { text, start: from + lead, end: from + lead + text.length };
}

class FileParser {
  private readonly diagnostics: TcpDiagnostic[] = [];
  /** Problems beyond MAX_DIAGNOSTICS: counted, summed up in one last diagnostic. */
  private omitted = { count: 0, errors: 0, line: Number.MAX_SAFE_INTEGER };
  private readonly variables = new Map<string, FileVariable>();
  private readonly blocks: TcpBlock[] = [];
  private block!: TcpBlock;
  /** A file may start without `###`: that block's header is its first directive line. */
  private headerPending = false;
  private firstBlockSeparated = false;
  /** The payload step whose body indented lines continue, if any. */
  private continuing: { body: PayloadBody; joiner: string } | undefined;
  /** Placeholder uses, checked once all `@name` lines are known (they may follow their use). */
  private readonly placeholderUses: { text: string; line: number; col: number; block: TcpBlock }[] = [];

  constructor(
    private readonly lines: string[],
    private readonly options: ParseOptions,
  ) {}

  parse(): TcpFile {
    this.startBlock(0, undefined);
    this.lines.forEach((line, index) => this.parseLine(line, index));
    this.finishBlock(this.lines.length - 1);
    this.checkPlaceholders();
    this.validatePayloads();
    this.diagnostics.sort((a, b) => a.line - b.line || a.startCol - b.startCol);
    if (this.omitted.count > 0) {
      const { count, errors, line } = this.omitted;
      const more = `${count.toLocaleString('en-US')} more problem${count === 1 ? '' : 's'}`;
      this.diagnostics.push({
        severity: errors > 0 ? 'error' : 'warning',
        line,
        startCol: 0,
        endCol: Math.max(1, (this.lines[line] ?? '').length),
        message: `…and ${more} from this line on, not listed (a file shows at most ${MAX_DIAGNOSTICS.toLocaleString('en-US')}): fix the ones above first.`,
      });
    }
    return { variables: this.variables, blocks: this.blocks, diagnostics: this.diagnostics };
  }

  private report(severity: TcpSeverity, line: number, startCol: number, endCol: number, message: string, block?: TcpBlock): void {
    // An empty range would be invisible in the editor: underline at least one column.
    const end = Math.max(endCol, startCol + 1);
    if (severity === 'error' && block) block.hasErrors = true;
    if (this.diagnostics.length >= MAX_DIAGNOSTICS) {
      this.omitted.count++;
      if (severity === 'error') this.omitted.errors++;
      this.omitted.line = Math.min(this.omitted.line, line);
      return;
    }
    this.diagnostics.push({ severity, line, startCol, endCol: end, message });
  }

  private error(line: number, startCol: number, endCol: number, message: string): void {
    this.report('error', line, startCol, endCol, message, this.block);
  }

  private startBlock(line: number, name: string | undefined): void {
    const index = this.blocks.length;
    this.block = {
      index,
      name: name || `Block ${index + 1}`,
      headerLine: line,
      startLine: line,
      endLine: line,
      options: {},
      steps: [],
      hasErrors: false,
    };
    this.blocks.push(this.block);
    this.continuing = undefined;
    this.headerPending = name === undefined;
    if (index === 0) this.firstBlockSeparated = name !== undefined;
  }

  private finishBlock(lastLine: number): void {
    const block = this.block;
    block.endLine = Math.max(block.startLine, lastLine);
    const isEmpty = !block.target && block.steps.length === 0 && Object.keys(block.options).length === 0;
    if (isEmpty && block.index === 0 && !this.firstBlockSeparated) {
      // Text before the first `###` that holds only variables and comments is not a block.
      this.blocks.pop();
      return;
    }
    if (!block.target && (block.steps.length > 0 || Object.keys(block.options).length > 0)) {
      const line = this.lines[block.headerLine] ?? '';
      this.report('error', block.headerLine, 0, line.length, 'This block has no target: add CONNECT host:port, LISTEN host:port or PRESET name.', block);
    }
  }

  private parseLine(line: string, index: number): void {
    if (line.startsWith('###')) {
      this.finishBlock(index - 1);
      this.startBlock(index, line.slice(3).trim());
      return;
    }
    if (line.trim() === '') {
      this.continuing = undefined;
      return;
    }
    if (this.continuing && /^\s/.test(line)) {
      const part = restOf(line, 0);
      const body = this.continuing.body;
      // A payload may start on the line below its keyword: no joiner before the first part.
      if (body.text.length > 0) body.text += this.continuing.joiner;
      body.segments.push({ offset: body.text.length, line: index, col: part.start, length: part.text.length });
      body.text += part.text;
      this.placeholderUses.push({ text: part.text, line: index, col: part.start, block: this.block });
      return;
    }
    this.continuing = undefined;
    const trimmed = line.trimStart();
    if (trimmed.startsWith('#') || trimmed.startsWith('//')) return;
    if (trimmed.startsWith('@')) {
      this.parseVariable(line, index);
      return;
    }
    const keyword = nextWord(line, 0);
    if (!keyword) return;
    if (this.headerPending) {
      this.headerPending = false;
      this.block.headerLine = index;
      this.block.startLine = index;
    }
    const upper = keyword.text.toUpperCase();
    const directive = OPTION_ALIASES[upper] ?? upper;
    switch (directive) {
      case 'CONNECT':
      case 'LISTEN':
        this.parseAddressTarget(directive, line, index, keyword);
        break;
      case 'PRESET':
        this.parsePreset(line, index, keyword);
        break;
      case 'ENCODING':
      case 'LINE-ENDING':
      case 'FRAMING':
      case 'TIMEOUT':
        this.parseOption(directive, line, index, keyword);
        break;
      case 'SEND':
        this.parseSend(line, index, keyword);
        break;
      case 'EXPECT':
        this.parseExpect(line, index, keyword);
        break;
      case 'STARTTLS': {
        const rest = restOf(line, keyword.end);
        if (rest.text !== '') this.error(index, rest.start, rest.end, `STARTTLS takes no argument: set TLS options with TLS-CA, TLS-SERVERNAME, … lines.`);
        else this.block.steps.push({ kind: 'startTls', range: { line: index, startCol: keyword.start, endCol: keyword.end } });
        break;
      }
      default:
        if ((TLS_DIRECTIVES as readonly string[]).includes(directive)) {
          this.parseTlsOption(directive, line, index, keyword);
          break;
        }
        this.error(index, keyword.start, keyword.end, `Unknown directive '${keyword.text}': use ${DIRECTIVES.join(', ')}, or start a comment with // or #.`);
    }
  }

  private parseVariable(line: string, index: number): void {
    const m = /^(\s*)@([^\s=]*)\s*(=?)(.*)$/.exec(line);
    const lead = m?.[1].length ?? 0;
    const name = m?.[2] ?? '';
    if (!m || name === '' || m[3] !== '=') {
      this.report('error', index, lead, line.length, 'Malformed variable: write @name = value.');
      return;
    }
    const nameStart = lead + 1;
    if (!/^[A-Za-z_][\w.-]*$/.test(name)) {
      this.report('error', index, nameStart, nameStart + name.length, `Invalid variable name '${name}': use letters, digits, '_', '-' or '.'.`);
      return;
    }
    const value = restOf(line, line.length - m[4].length);
    const range: TcpRange = { line: index, startCol: nameStart, endCol: nameStart + name.length };
    if (this.variables.has(name)) {
      this.report('warning', index, range.startCol, range.endCol, `Variable '${name}' is defined twice: this later value wins.`);
    }
    this.variables.set(name, { name, value: value.text, range });
    this.placeholderUses.push({ text: value.text, line: index, col: value.start, block: this.block });
  }

  private setTarget(target: NonNullable<TcpBlock['target']>, index: number, keyword: Word): void {
    if (this.block.target) {
      this.error(index, keyword.start, keyword.end, `This block already has a target (line ${this.block.target.range.line + 1}): start a new block with ### first.`);
      return;
    }
    this.block.target = target;
  }

  private parseAddressTarget(kind: 'CONNECT' | 'LISTEN', line: string, index: number, keyword: Word): void {
    const address = restOf(line, keyword.end);
    const range: TcpRange = { line: index, startCol: address.start, endCol: address.end };
    if (address.text === '') {
      this.error(index, keyword.start, keyword.end, `${kind} needs an address: write ${kind} host:port, for example ${kind} 127.0.0.1:7000.`);
      return;
    }
    this.placeholderUses.push({ text: address.text, line: index, col: address.start, block: this.block });
    if (findPlaceholders(address.text).length === 0) {
      const problem = addressProblem(address.text, kind === 'LISTEN');
      if (problem) {
        this.error(index, address.start, address.end, problem);
        return;
      }
    }
    this.setTarget({ kind: kind === 'CONNECT' ? 'connect' : 'listen', address: address.text, range }, index, keyword);
  }

  private parsePreset(line: string, index: number, keyword: Word): void {
    const name = restOf(line, keyword.end);
    if (name.text === '') {
      this.error(index, keyword.start, keyword.end, 'PRESET needs a name: write PRESET followed by a name from tcpLab.presets.');
      return;
    }
    const known = this.options.presetNames;
    if (known && !known.includes(name.text)) {
      const choices = known.length > 0 ? `use one of: ${known.join(', ')}` : 'no presets are defined yet in tcpLab.presets';
      this.error(index, name.start, name.end, `Unknown preset '${name.text}': ${choices}.`);
    }
    this.setTarget({ kind: 'preset', name: name.text, range: { line: index, startCol: name.start, endCol: name.end } }, index, keyword);
  }

  private parseOption(directive: string, line: string, index: number, keyword: Word): void {
    const value = restOf(line, keyword.end);
    const options: BlockOptions = this.block.options;
    const badValue = (choices: readonly string[]): void => {
      if (value.text === '') this.error(index, keyword.start, keyword.end, `${directive} needs a value: use ${choices.join(', ')}.`);
      else this.error(index, value.start, value.end, `Unknown ${directive.toLowerCase()} '${value.text}': use ${choices.join(', ')}.`);
    };
    const key = { ENCODING: 'encoding', 'LINE-ENDING': 'lineEnding', FRAMING: 'framing', TIMEOUT: 'timeoutMs' }[directive] as keyof BlockOptions;
    if (options[key] !== undefined) {
      this.report('warning', index, keyword.start, keyword.end, `${directive} is set twice in this block: this later value wins.`);
    }
    switch (directive) {
      case 'ENCODING': {
        const v = value.text.toLowerCase();
        if ((TEXT_ENCODINGS as readonly string[]).includes(v)) options.encoding = v as TextEncodingName;
        else badValue(TEXT_ENCODINGS);
        break;
      }
      case 'LINE-ENDING': {
        const v = value.text.toLowerCase();
        if ((LINE_ENDINGS as readonly string[]).includes(v)) options.lineEnding = v as LineEnding;
        else badValue(LINE_ENDINGS);
        break;
      }
      case 'FRAMING': {
        if (value.text === '') {
          badValue(Object.keys(FRAMING_SHORT_NAMES));
          break;
        }
        const framing = parseTcpFraming(value.text);
        if (framing.ok) options.framing = framing.framing;
        else this.error(index, value.start, value.end, framing.error);
        break;
      }
      default: {
        const ms = parseDuration(value.text);
        if (ms !== undefined && ms > 0) options.timeoutMs = ms;
        else if (value.text === '') this.error(index, keyword.start, keyword.end, 'TIMEOUT needs a duration such as 2s or 500ms.');
        else this.error(index, value.start, value.end, `Invalid timeout '${value.text}': write a positive duration such as 2s or 500ms.`);
      }
    }
  }

  /** TLS-* lines: collected into the block's TLS options and checked by the one TLS validation. */
  private parseTlsOption(directive: string, line: string, index: number, keyword: Word): void {
    const value = restOf(line, keyword.end);
    const current: TlsOptions = { ...(this.block.options.tls ?? {}) };
    const needs: Record<string, string> = {
      'TLS-SERVERNAME': 'a host name such as example.com',
      'TLS-ALPN': 'protocol names such as h2, http/1.1',
      'TLS-CA': 'a CA file path such as certs/ca.pem',
      'TLS-CERT': 'a certificate file path such as certs/client.pem',
      'TLS-KEY': 'a key file path such as certs/client-key.pem',
      'TLS-MIN': TLS_VERSIONS.join(', '),
      'TLS-MAX': TLS_VERSIONS.join(', '),
    };
    if (value.text === '' && directive !== 'TLS-INSECURE') {
      this.error(index, keyword.start, keyword.end, `${directive} needs a value: write ${needs[directive]}.`);
      return;
    }
    switch (directive) {
      case 'TLS-SERVERNAME':
        current.serverName = value.text;
        break;
      case 'TLS-ALPN':
        current.alpn = value.text.split(/[\s,]+/).filter((name) => name !== '');
        break;
      case 'TLS-CA':
        current.ca = [...(current.ca ?? []), value.text];
        break;
      case 'TLS-CERT':
        current.cert = value.text;
        break;
      case 'TLS-KEY':
        current.key = value.text;
        break;
      case 'TLS-INSECURE': {
        const v = value.text.toLowerCase();
        if (v !== '' && v !== 'true' && v !== 'false') {
          this.error(index, value.start, value.end, `TLS-INSECURE takes no value, or true/false: remove '${value.text}'.`);
          return;
        }
        current.insecure = v !== 'false';
        break;
      }
      default:
        current[directive === 'TLS-MIN' ? 'minVersion' : 'maxVersion'] = value.text as TlsOptions['minVersion'];
    }
    // cert without key is only complete once both lines are read: that check waits for the run.
    const checked = validateTlsOptions({ ...current, cert: current.cert ?? current.key, key: current.key ?? current.cert }, 'client', directive);
    if (!checked.ok) {
      this.error(index, value.start, Math.max(value.end, value.start + 1), checked.message.replace(/^[A-Z-]+: /, `${directive}: `));
      return;
    }
    this.block.options.tls = current;
  }

  private newBody(index: number, part: Word): PayloadBody {
    this.placeholderUses.push({ text: part.text, line: index, col: part.start, block: this.block });
    return { text: part.text, segments: [{ offset: 0, line: index, col: part.start, length: part.text.length }] };
  }

  private parseSend(line: string, index: number, keyword: Word): void {
    const format = nextWord(line, keyword.end);
    const range: TcpRange = { line: index, startCol: keyword.start, endCol: line.trimEnd().length };
    if (!format) {
      this.error(index, keyword.start, keyword.end, 'SEND needs a format: write SEND text …, SEND hex …, SEND base64 … or SEND file ./path.');
      return;
    }
    const kind = format.text.toLowerCase();
    const rest = restOf(line, format.end);
    if (kind === 'file') {
      if (rest.text === '') {
        this.error(index, format.start, format.end, 'SEND file needs a path: write SEND file ./payload.bin (relative to this file).');
        return;
      }
      this.placeholderUses.push({ text: rest.text, line: index, col: rest.start, block: this.block });
      this.block.steps.push({ kind: 'sendFile', path: rest.text, range });
      return;
    }
    if (kind !== 'text' && kind !== 'hex' && kind !== 'base64') {
      this.error(index, format.start, format.end, `Unknown SEND format '${format.text}': use text, hex, base64 or file.`);
      return;
    }
    const clause = this.checksumClause(index, rest);
    if (clause === 'error') return;
    const body = this.newBody(index, clause?.payload ?? rest);
    this.block.steps.push({ kind: 'send', format: kind, body, range, ...(clause ? { checksum: clause.checksum } : {}) });
    this.continuing = { body, joiner: kind === 'text' ? '\n' : ' ' };
  }

  /** A trailing `CHECKSUM algorithm [key=value …]` on a SEND line, split off its payload. */
  private checksumClause(index: number, rest: Word): { payload: Word; checksum: ResolvedChecksum } | 'error' | undefined {
    const at = findChecksumClause(rest.text);
    if (at === undefined) return undefined;
    const parsed = parseChecksumClause(rest.text.slice(at + 'CHECKSUM'.length));
    if (!parsed.ok) {
      this.error(index, rest.start + at, rest.end, parsed.error);
      return 'error';
    }
    const payload = rest.text.slice(0, at).trimEnd();
    return { payload: { text: payload, start: rest.start, end: rest.start + payload.length }, checksum: parsed.checksum };
  }

  private parseExpect(line: string, index: number, keyword: Word): void {
    const range: TcpRange = { line: index, startCol: keyword.start, endCol: line.trimEnd().length };
    let word = nextWord(line, keyword.end);
    let timeoutMs: number | undefined;
    if (word && word.text.toLowerCase() === 'within') {
      const duration = nextWord(line, word.end);
      const ms = duration ? parseDuration(duration.text) : undefined;
      if (!duration || ms === undefined || ms <= 0) {
        const at = duration ?? word;
        this.error(index, at.start, at.end, 'EXPECT within needs a positive duration: write EXPECT within 2s text ….');
        return;
      }
      timeoutMs = ms;
      word = nextWord(line, duration.end);
    }
    const kinds: readonly ExpectKind[] = ['text', 'hex', 'regex', 'close', 'nothing', 'tls'];
    if (!word) {
      this.error(index, keyword.start, keyword.end, `EXPECT needs a kind: use ${kinds.join(', ')}.`);
      return;
    }
    const kind = word.text.toLowerCase() as ExpectKind;
    if (!kinds.includes(kind)) {
      this.error(index, word.start, word.end, `Unknown EXPECT kind '${word.text}': use ${kinds.join(', ')}.`);
      return;
    }
    const rest = restOf(line, word.end);
    const step: ExpectStep = { kind: 'expect', match: kind, body: { text: '', segments: [] }, flags: '', timeoutMs, range };
    switch (kind) {
      case 'close':
        if (rest.text !== '') {
          this.error(index, rest.start, rest.end, `EXPECT close takes no argument: remove '${rest.text}' (write EXPECT within ${rest.text} close for a timeout).`);
          return;
        }
        break;
      case 'nothing':
        if (rest.text !== '') {
          const ms = parseDuration(rest.text);
          if (ms === undefined || ms <= 0) {
            this.error(index, rest.start, rest.end, `Invalid duration '${rest.text}': write EXPECT nothing 500ms.`);
            return;
          }
          step.windowMs = ms;
        }
        break;
      case 'tls': {
        const field = nextWord(line, word.end);
        const fieldName = field?.text.toLowerCase() as TlsExpectField | undefined;
        if (!field || !fieldName || !TLS_EXPECT_FIELDS.includes(fieldName)) {
          const at = field ?? word;
          this.error(index, at.start, at.end, `EXPECT tls needs a property and a value: use ${TLS_EXPECT_FIELDS.join(', ')}, for example EXPECT tls alpn h2.`);
          return;
        }
        const expected = restOf(line, field.end);
        if (expected.text === '') {
          this.error(index, field.start, field.end, `EXPECT tls ${fieldName} needs the expected value, for example EXPECT tls version TLSv1.3.`);
          return;
        }
        step.tlsField = fieldName;
        step.body = this.newBody(index, expected);
        break;
      }
      case 'regex': {
        if (rest.text === '') {
          this.error(index, word.start, word.end, 'EXPECT regex needs a pattern: write EXPECT regex ^OK or EXPECT regex /ok/i.');
          return;
        }
        const slashed = /^\/(.*)\/([a-z]*)$/.exec(rest.text);
        const source = slashed ? slashed[1] : rest.text;
        const sourceStart = slashed ? rest.start + 1 : rest.start;
        step.flags = slashed ? slashed[2] : '';
        step.body = this.newBody(index, { text: source, start: sourceStart, end: sourceStart + source.length });
        if (findPlaceholders(source).length === 0) {
          const problem = regexProblem(source, step.flags);
          if (problem) {
            this.error(index, rest.start, rest.end, problem);
            return;
          }
        }
        break;
      }
      default:
        // An empty first line is fine when indented lines follow; validatePayloads checks the whole body.
        step.body = this.newBody(index, rest);
        this.continuing = { body: step.body, joiner: kind === 'text' ? '\n' : ' ' };
    }
    this.block.steps.push(step);
  }

  /** Unknown variables are warnings (another environment may define them); malformed ones are errors. */
  private checkPlaceholders(): void {
    const scope = { file: this.variables, environment: this.options.environment ?? {} };
    for (const use of this.placeholderUses) {
      for (const p of findPlaceholders(use.text)) {
        const shape = placeholderShapeError(p);
        if (shape) {
          this.report('error', use.line, use.col + p.start, use.col + p.end, shape, use.block);
        } else if (!p.name.startsWith('$') && !isDefined(p.name, scope)) {
          this.report(
            'warning',
            use.line,
            use.col + p.nameStart,
            use.col + p.nameStart + p.name.length,
            `Variable '${p.name}' is not defined in this file or the selected environment: add '@${p.name} = …' or switch environment.`,
          );
        }
      }
    }
  }

  /** Parse every literal payload now, so bad hex or a bad escape is underlined where it is. */
  private validatePayloads(): void {
    for (const block of this.blocks) {
      for (const step of block.steps) {
        if (step.kind === 'sendFile' || step.kind === 'startTls') continue;
        if (step.kind === 'expect' && step.match !== 'text' && step.match !== 'hex') continue;
        const format: PayloadFormat = step.kind === 'send' ? step.format : (step.match as 'text' | 'hex');
        if (step.body.text.trim() === '') {
          const what = step.kind === 'send' ? `SEND ${format}` : `EXPECT ${format}`;
          this.report('error', step.range.line, step.range.startCol, step.range.endCol, `${what} has no payload: write it after the keyword or on indented lines below.`, block);
          continue;
        }
        if (findPlaceholders(step.body.text).length > 0) continue; // checked again after substitution, at run time
        const result = parsePayload(step.body.text, { format, encoding: block.options.encoding ?? 'utf-8', lineEnding: 'none' });
        if (!result.ok) {
          const at = locate(step.body, result.error.position);
          // The payload parser counts from the start of the payload; in a file, line and column say more.
          const message = result.error.message.replace(/\bat position \d+/, `at line ${at.line + 1}, column ${at.col + 1}`);
          this.report('error', at.line, at.col, at.col + 1, message, block);
        }
      }
    }
  }
}

/** Map an offset in a joined body back to the source line and column. */
export function locate(body: PayloadBody, position: number): { line: number; col: number } {
  let segment = body.segments[0];
  for (const s of body.segments) {
    if (s.offset <= position) segment = s;
  }
  const within = Math.min(Math.max(position - segment.offset, 0), Math.max(segment.length - 1, 0));
  return { line: segment.line, col: segment.col + within };
}

/** `host:port`, `[v6]:port`, optionally behind `tls://` (or `tcp://`); undefined when it has no such shape. */
export function splitAddress(text: string): { host: string; port: number; tls: boolean } | undefined {
  const scheme = /^(tls|tcp):\/\//i.exec(text);
  const split = splitHostPort(scheme ? text.slice(scheme[0].length) : text);
  return split && { host: split.host, port: Number(split.portText), tls: scheme?.[1].toLowerCase() === 'tls' };
}

export function addressProblem(text: string, listening: boolean): string | undefined {
  const parsed = splitAddress(text);
  if (!parsed) return `Invalid address '${text}': write host:port, for example 127.0.0.1:7000, [::1]:7000 or tls://localhost:8443.`;
  const min = listening ? 0 : 1;
  if (!isPortNumber(parsed.port, { allowZeroPort: listening })) {
    return `Port ${parsed.port} in '${text}' is out of range: use ${min} to 65535.`;
  }
  const hostProblem = validateHostText(parsed.host);
  return hostProblem && `Invalid address '${text}': ${hostProblem}`;
}

export function regexProblem(source: string, flags: string): string | undefined {
  try {
    new RegExp(source, flags);
    return undefined;
  } catch (err) {
    const detail = err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err);
    return `Invalid regular expression (${detail}): fix the pattern.`;
  }
}

export function parseTcpFile(source: string, options: ParseOptions = {}): TcpFile {
  return new FileParser(source.split(/\r?\n/), options).parse();
}
