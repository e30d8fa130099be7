// Auto-reply rules as plain JSON (listener presets in settings.json, the panel's rule editor) and their
// validation. Pure and browser-safe: the panel checks a rule as it is typed with the same code the
// engine uses when it compiles the rule.
import { decodeHexField } from './framing';
import { describeValue, isRecord } from './describeValue';
import { keyList } from './keyList';

export type RuleMatchKind = 'exact' | 'hexPrefix' | 'contains' | 'regex';

export const RULE_MATCH_KINDS: readonly RuleMatchKind[] = ['exact', 'hexPrefix', 'contains', 'regex'];

export type RuleTextEncoding = 'utf-8' | 'latin1';

/** One auto-reply rule. Rules are tried in order; the first that matches a frame answers it. */
export interface RuleDefinition {
  name?: string;
  /** exact: the whole frame equals `pattern`; hexPrefix: the frame starts with the hex bytes; contains: the text occurs in the frame; regex: a JavaScript regular expression finds a match. */
  match: RuleMatchKind;
  pattern: string;
  /** exact only: read `pattern` as text (default) or hex. */
  patternFormat?: 'text' | 'hex';
  /** contains only: compare case-insensitively. */
  ignoreCase?: boolean;
  /** regex only: any of i, m, s, u. */
  flags?: string;
  /** What to send back; `$1…`, `${name}` insert regex captures, `$0` the whole match, `$$` a dollar sign. Omit to send nothing. */
  reply?: string;
  replyFormat?: 'text' | 'hex';
  /** How text in frames, patterns and replies maps to bytes (default utf-8; latin1 maps bytes 1:1). */
  encoding?: RuleTextEncoding;
  /** Wait this long before replying (replies on one connection stay in frame order). */
  delayMs?: number;
  /** Half-close the connection (FIN) once the reply is written. */
  closeAfterReply?: boolean;
  /** false keeps the rule in the list without using it. */
  enabled?: boolean;
  /**
   * With a checksum in the framing: answer only frames that pass it (`valid`, the default, as a real
   * device drops corrupt requests), only those that fail it (`invalid`, to send an error reply), or `any`.
   */
  checksum?: RuleChecksumRequirement;
}

export type RuleChecksumRequirement = 'valid' | 'invalid' | 'any';

const RULE_CHECKSUM_REQUIREMENTS: readonly RuleChecksumRequirement[] = ['valid', 'invalid', 'any'];

/** Every key a rule may carry: the panel's message check keeps exactly these. */
export const RULE_KEYS = keyList<RuleDefinition>()(['name', 'match', 'pattern', 'patternFormat', 'ignoreCase', 'flags', 'reply', 'replyFormat', 'encoding', 'delayMs', 'closeAfterReply', 'enabled', 'checksum']);

/** A piece of a reply template: literal bytes or text, or a reference to a capture group. */
export type ReplySegment = { kind: 'literal'; text: string } | { kind: 'bytes'; bytes: Uint8Array } | { kind: 'group'; ref: number | string };

/** A rule with defaults filled in and every field checked and pre-parsed. */
export interface CheckedRule {
  name: string;
  match: RuleMatchKind;
  /** exact / hexPrefix / contains (case-sensitive): the bytes to compare. */
  patternBytes: Uint8Array;
  /** contains: the needle as text; regex: the source; exact/hexPrefix: the pattern as written. */
  patternText: string;
  patternFormat: 'text' | 'hex';
  ignoreCase: boolean;
  flags: string;
  reply: ReplySegment[] | undefined;
  replyFormat: 'text' | 'hex';
  encoding: RuleTextEncoding;
  delayMs: number;
  closeAfterReply: boolean;
  enabled: boolean;
  checksum: RuleChecksumRequirement;
}

export type RulesValidation = { ok: true; rules: CheckedRule[] } | { ok: false; error: string };

export const MAX_RULE_DELAY_MS = 600_000;
export const MAX_RULES = 200;
export const MAX_PATTERN_CHARS = 2000;
const ALLOWED_REGEX_FLAGS = 'imsu';



/** Text to bytes in a rule's encoding. latin1 keeps one byte per code unit (code points above 255 become "?"). */
export function encodeRuleText(text: string, encoding: RuleTextEncoding): Uint8Array {
  if (encoding === 'utf-8') return new TextEncoder().encode(text);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    out[i] = code <= 0xff ? code : 0x3f;
  }
  return out;
}

/** Bytes to text in a rule's encoding; invalid UTF-8 becomes U+FFFD rather than failing the match. */
export function decodeRuleText(bytes: Uint8Array, encoding: RuleTextEncoding): string {
  if (encoding === 'utf-8') return new TextDecoder('utf-8').decode(bytes);
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return text;
}

/**
 * Looks for the regular-expression shapes that make a backtracking engine take exponential time:
 * a repeated group whose body is itself quantified (`(a+)+`, `(\w*)*`, `(a?){20}`) and
 * backreferences (`\1`, `\k<x>`). Returns a description of the first one found, or undefined.
 *
 * One safe form of a repeated quantified group is let through because people write it all the time
 * (`(\d{1,3}\.){3}`, `(\w+,)*`): a flat body that starts or ends with a single literal "fence"
 * character which none of its quantified parts can match. Each repetition must then consume exactly
 * one fence, so there is only one way to split the input between repetitions.
 *
 * The check is syntactic and deliberately conservative; the engine adds a time budget for what it
 * cannot see (overlapping alternatives such as `(a|a)*`, polynomial blow-ups such as `.*.*.*x`).
 */
export function findCatastrophicShape(source: string): string | undefined {
  interface Atom {
    source: string;
    group: boolean;
    quantified: boolean;
  }
  interface OpenGroup {
    start: number;
    /** Anything inside (at any depth) carries a quantifier. */
    quantified: boolean;
    alternation: boolean;
    atoms: Atom[];
  }
  const groups: OpenGroup[] = [];
  // The group that just closed, until the next token tells whether it is repeated.
  let closed: (OpenGroup & { end: number }) | undefined;
  let lastAtom: Atom | undefined;
  const addAtom = (atom: Atom): void => {
    groups[groups.length - 1]?.atoms.push(atom);
    lastAtom = atom;
    closed = undefined;
  };
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (ch === '\\') {
      const next = source[i + 1] ?? '';
      if (/[1-9]/.test(next)) return `the backreference "\\${next}" at position ${i + 1}`;
      if (next === 'k' && source[i + 2] === '<') return `the named backreference at position ${i + 1}`;
      let length = 2;
      if ((next === 'u' || next === 'p' || next === 'P') && source[i + 2] === '{') {
        const close = source.indexOf('}', i + 3);
        length = (close < 0 ? source.length : close + 1) - i;
      } else if (next === 'u') {
        length = 6;
      } else if (next === 'x') {
        length = 4;
      } else if (next === 'c') {
        length = 3;
      }
      addAtom({ source: source.slice(i, i + length), group: false, quantified: false });
      i += length;
      continue;
    }
    if (ch === '[') {
      const begin = i;
      i++;
      if (source[i] === '^') i++;
      if (source[i] === ']') i++;
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      i++;
      addAtom({ source: source.slice(begin, i), group: false, quantified: false });
      continue;
    }
    if (ch === '(') {
      groups.push({ start: i, quantified: false, alternation: false, atoms: [] });
      closed = undefined;
      lastAtom = undefined;
      i++;
      if (source[i] === '?') {
        // (?: (?= (?! (?<= (?<! (?<name>: skip the group prefix.
        i++;
        if (source[i] === '<' && source[i + 1] !== '=' && source[i + 1] !== '!') {
          const close = source.indexOf('>', i);
          i = close < 0 ? source.length : close + 1;
        } else if (source[i] === '<') {
          i += 2;
        } else {
          i++;
        }
      }
      continue;
    }
    if (ch === ')') {
      const group = groups.pop();
      const atom: Atom = { source: '', group: true, quantified: false };
      if (group) {
        const parent = groups[groups.length - 1];
        if (parent && group.quantified) parent.quantified = true;
        parent?.atoms.push(atom);
      }
      lastAtom = atom;
      closed = group ? { ...group, end: i + 1 } : undefined;
      i++;
      continue;
    }
    if (ch === '|') {
      const current = groups[groups.length - 1];
      if (current) current.alternation = true;
      lastAtom = undefined;
      closed = undefined;
      i++;
      continue;
    }
    const quantifier = readQuantifier(source, i);
    if (quantifier) {
      if (closed && closed.quantified && quantifier.max > 1 && !hasFence(closed)) {
        return `the nested quantifier "${source.slice(closed.start, i + quantifier.length)}" at position ${closed.start + 1}`;
      }
      if (lastAtom) lastAtom.quantified = true;
      for (const g of groups) g.quantified = true;
      i += quantifier.length;
      if (source[i] === '?') i++;
      closed = undefined;
      lastAtom = undefined;
      continue;
    }
    addAtom({ source: ch, group: false, quantified: false });
    i++;
  }
  return undefined;

  /** The safe shape described above: flat body, a literal fence at either end that no quantified part matches. */
  function hasFence(group: OpenGroup): boolean {
    if (group.alternation || group.atoms.some((a) => a.group)) return false;
    const quantifiedParts = group.atoms.filter((a) => a.quantified);
    const ends = [group.atoms[0], group.atoms[group.atoms.length - 1]];
    return ends.some((fence) => {
      if (!fence || fence.quantified) return false;
      const fenceChar = literalChar(fence.source);
      return fenceChar !== undefined && quantifiedParts.every((part) => !mayMatch(part.source, fenceChar));
    });
  }
}

/** The character a single-character literal atom stands for (`,` or `\.`), or undefined for anything else. */
function literalChar(atom: string): string | undefined {
  if (atom.length === 1) return '.^$'.includes(atom) ? undefined : atom;
  if (atom.length === 2 && atom[0] === '\\' && /[^A-Za-z0-9]/.test(atom[1])) return atom[1];
  return undefined;
}

/**
 * Whether an atom may match `char`, ignoring case, read both with and without the u flag (the rule's
 * flags are not known here); an atom neither reading can evaluate is assumed to match.
 */
function mayMatch(atom: string, char: string): boolean {
  let evaluated = false;
  for (const flags of ['isu', 'is']) {
    try {
      if (new RegExp(`^(?:${atom})$`, flags).test(char)) return true;
      evaluated = true;
    } catch {
      // Not valid under these flags; the other reading decides.
    }
  }
  return !evaluated;
}

function readQuantifier(source: string, at: number): { length: number; max: number } | undefined {
  const ch = source[at];
  if (ch === '*' || ch === '+') return { length: 1, max: Infinity };
  if (ch === '?') return { length: 1, max: 1 };
  if (ch === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(at, at + 32));
    if (!m) return undefined;
    const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
    return { length: m[0].length, max };
  }
  return undefined;
}

/** Splits a reply template into literal pieces and capture references; hex literals are decoded. */
export function parseReplyTemplate(
  template: string,
  format: 'text' | 'hex',
  field: string,
): { ok: true; segments: ReplySegment[] } | { ok: false; error: string } {
  const segments: ReplySegment[] = [];
  let literal = '';
  let literalStart = 0;
  const flush = (): string | undefined => {
    if (literal === '') return undefined;
    if (format === 'text') {
      segments.push({ kind: 'literal', text: literal });
    } else {
      const decoded = decodeHexField(literal, field, literalStart);
      if (!decoded.ok) return decoded.error;
      if (decoded.bytes.length > 0) segments.push({ kind: 'bytes', bytes: decoded.bytes });
    }
    literal = '';
    return undefined;
  };
  for (let i = 0; i < template.length; ) {
    if (template[i] === '$') {
      const rest = template.slice(i + 1);
      let ref: number | string | undefined;
      let length = 0;
      let m: RegExpExecArray | null;
      if (rest[0] === '$') {
        if (literal === '') literalStart = i;
        literal += format === 'text' ? '$' : '24';
        i += 2;
        continue;
      } else if ((m = /^\{(\d+|[A-Za-z_$][\w$]*)\}/.exec(rest))) {
        ref = /^\d+$/.test(m[1]) ? Number(m[1]) : m[1];
        length = m[0].length + 1;
      } else if ((m = /^\d{1,2}/.exec(rest))) {
        // Two digits are kept as one number here; resolveGroupRefs later splits "$12" into $1 + "2" when
        // there is no group 12, the same rule JavaScript's String.replace follows.
        ref = Number(m[0]);
        length = m[0].length + 1;
      }
      if (ref !== undefined) {
        const error = flush();
        if (error) return { ok: false, error };
        segments.push({ kind: 'group', ref });
        i += length;
        literalStart = i;
        continue;
      }
    }
    if (literal === '') literalStart = i;
    literal += template[i];
    i++;
  }
  const error = flush();
  return error ? { ok: false, error } : { ok: true, segments };
}

/**
 * Checks that every capture reference in a reply exists in the pattern, and splits an ambiguous
 * two-digit `$12` into `$1` followed by the text "2" when the pattern has fewer than 12 groups.
 */
function resolveGroupRefs(
  segments: ReplySegment[],
  groupCount: number,
  groupNames: readonly string[],
  format: 'text' | 'hex',
  field: string,
  patternField: string,
): { ok: true; segments: ReplySegment[] } | { ok: false; error: string } {
  const out: ReplySegment[] = [];
  for (const segment of segments) {
    if (segment.kind !== 'group') {
      out.push(segment);
      continue;
    }
    const { ref } = segment;
    if (typeof ref === 'string') {
      if (!groupNames.includes(ref)) {
        return { ok: false, error: `${field} uses \${${ref}}, but ${patternField} has no capture group named "${ref}".` };
      }
      out.push(segment);
      continue;
    }
    if (ref <= groupCount) {
      out.push(segment);
      continue;
    }
    if (ref >= 10 && Math.floor(ref / 10) <= groupCount && format === 'text') {
      out.push({ kind: 'group', ref: Math.floor(ref / 10) }, { kind: 'literal', text: String(ref % 10) });
      continue;
    }
    const available = groupCount === 0 ? 'only $0 (the whole frame)' : `$0 to $${groupCount}`;
    return { ok: false, error: `${field} uses $${ref}, but ${patternField} offers ${available}; remove it or add a capture group.` };
  }
  return { ok: true, segments: out };
}

/** Counts a pattern's capture groups and their names by matching an always-matching variant of it. */
function captureShape(regex: RegExp): { count: number; names: string[] } {
  const probe = new RegExp(`${regex.source}|`, regex.flags).exec('');
  return { count: probe ? probe.length - 1 : 0, names: Object.keys(probe?.groups ?? {}) };
}

/** Validates one rule; `path` names it in messages, e.g. `tcpLab.presets[0].rules[2]`. */
export function validateRule(value: unknown, path: string): { ok: true; rule: CheckedRule } | { ok: false; error: string } {
  if (!isRecord(value)) return { ok: false, error: `${path} must be an object with "match" and "pattern" (got ${describeValue(value)}).` };
  const match = value.match;
  if (typeof match !== 'string' || !RULE_MATCH_KINDS.includes(match as RuleMatchKind)) {
    return { ok: false, error: `${path}.match must be one of ${RULE_MATCH_KINDS.map((k) => `"${k}"`).join(', ')} (got ${describeValue(match)}).` };
  }
  const kind = match as RuleMatchKind;
  if (value.name !== undefined && typeof value.name !== 'string') return { ok: false, error: `${path}.name must be text (got ${describeValue(value.name)}).` };
  for (const key of ['ignoreCase', 'closeAfterReply', 'enabled'] as const) {
    if (value[key] !== undefined && typeof value[key] !== 'boolean') return { ok: false, error: `${path}.${key} must be true or false (got ${describeValue(value[key])}).` };
  }
  const encoding = value.encoding ?? 'utf-8';
  if (encoding !== 'utf-8' && encoding !== 'latin1') return { ok: false, error: `${path}.encoding must be "utf-8" or "latin1" (got ${describeValue(encoding)}).` };
  const pattern = value.pattern;
  if (typeof pattern !== 'string' || (pattern === '' && kind !== 'exact')) {
    return { ok: false, error: `${path}.pattern must be non-empty text (got ${describeValue(pattern)}).` };
  }
  if (pattern.length > MAX_PATTERN_CHARS) {
    return { ok: false, error: `${path}.pattern is ${pattern.length} characters long; keep it under ${MAX_PATTERN_CHARS}.` };
  }
  const patternFormat = value.patternFormat ?? 'text';
  if (patternFormat !== 'text' && patternFormat !== 'hex') return { ok: false, error: `${path}.patternFormat must be "text" or "hex" (got ${describeValue(patternFormat)}).` };
  if (patternFormat === 'hex' && kind !== 'exact' && kind !== 'hexPrefix') {
    return { ok: false, error: `${path}.patternFormat "hex" applies only to "exact" and "hexPrefix" rules; use a "regex" with \\x escapes to match bytes inside text.` };
  }

  let patternBytes = new Uint8Array(0);
  let flags = '';
  let groups = { count: 0, names: [] as string[] };
  if (kind === 'hexPrefix' || (kind === 'exact' && patternFormat === 'hex')) {
    const decoded = decodeHexField(pattern, `${path}.pattern`);
    if (!decoded.ok) return decoded;
    if (kind === 'hexPrefix' && decoded.bytes.length === 0) return { ok: false, error: `${path}.pattern must contain at least one hex byte.` };
    patternBytes = decoded.bytes;
  } else if (kind === 'regex') {
    flags = value.flags === undefined ? '' : (value.flags as string);
    if (typeof value.flags !== 'undefined' && (typeof value.flags !== 'string' || [...value.flags].some((f, n, all) => !ALLOWED_REGEX_FLAGS.includes(f) || all.indexOf(f) !== n))) {
      return { ok: false, error: `${path}.flags may only combine i, m, s and u (got ${describeValue(value.flags)}).` };
    }
    const shape = findCatastrophicShape(pattern);
    if (shape) {
      return { ok: false, error: `${path}.pattern is refused because ${shape} can make matching take exponential time; repeat only groups that end or start with a separator such as "," (e.g. "(\\w+,)*"), and avoid backreferences.` };
    }
    let regex: RegExp;
    try {
      regex = new RegExp(pattern, flags);
    } catch (err) {
      const reason = err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err);
      return { ok: false, error: `${path}.pattern is not a valid regular expression (${reason}); fix it or use "contains".` };
    }
    groups = captureShape(regex);
  } else {
    if (value.flags !== undefined) return { ok: false, error: `${path}.flags applies only to "regex" rules.` };
    patternBytes = encodeRuleText(pattern, encoding);
  }

  let reply: ReplySegment[] | undefined;
  const replyFormat = value.replyFormat ?? 'text';
  if (replyFormat !== 'text' && replyFormat !== 'hex') return { ok: false, error: `${path}.replyFormat must be "text" or "hex" (got ${describeValue(replyFormat)}).` };
  if (value.reply !== undefined) {
    if (typeof value.reply !== 'string') return { ok: false, error: `${path}.reply must be text (got ${describeValue(value.reply)}).` };
    const parsed = parseReplyTemplate(value.reply, replyFormat, `${path}.reply`);
    if (!parsed.ok) return parsed;
    const resolved = resolveGroupRefs(parsed.segments, groups.count, groups.names, replyFormat, `${path}.reply`, `${path}.pattern`);
    if (!resolved.ok) return resolved;
    reply = resolved.segments;
  }

  const delayMs = value.delayMs ?? 0;
  if (typeof delayMs !== 'number' || !Number.isInteger(delayMs) || delayMs < 0 || delayMs > MAX_RULE_DELAY_MS) {
    return { ok: false, error: `${path}.delayMs must be a whole number of milliseconds from 0 to ${MAX_RULE_DELAY_MS} (got ${describeValue(delayMs)}).` };
  }
  const checksum = value.checksum ?? 'valid';
  if (!RULE_CHECKSUM_REQUIREMENTS.includes(checksum as RuleChecksumRequirement)) {
    return { ok: false, error: `${path}.checksum must be "valid", "invalid" or "any" (got ${describeValue(checksum)}).` };
  }
  if (reply === undefined && value.closeAfterReply !== true) {
    return { ok: false, error: `${path} has neither "reply" nor "closeAfterReply", so it would do nothing; add one of them.` };
  }

  return {
    ok: true,
    rule: {
      name: typeof value.name === 'string' && value.name.trim() !== '' ? value.name : defaultRuleName(path),
      match: kind,
      patternBytes,
      patternText: pattern,
      patternFormat: kind === 'hexPrefix' ? 'hex' : patternFormat,
      ignoreCase: value.ignoreCase === true,
      flags,
      reply,
      replyFormat,
      encoding,
      delayMs,
      closeAfterReply: value.closeAfterReply === true,
      enabled: value.enabled !== false,
      checksum: checksum as RuleChecksumRequirement,
    },
  };
}

/** "rules[2]" → "rule 3": people count rules from one. */
function defaultRuleName(path: string): string {
  const index = /\[(\d+)\]$/.exec(path);
  return index ? `rule ${Number(index[1]) + 1}` : 'rule';
}

/** Validates a rule list (in order); stops at the first problem and names it. */
export function validateRules(value: unknown, path = 'rules'): RulesValidation {
  if (value === undefined) return { ok: true, rules: [] };
  if (!Array.isArray(value)) return { ok: false, error: `${path} must be a list of rules (got ${describeValue(value)}).` };
  if (value.length > MAX_RULES) return { ok: false, error: `${path} has ${value.length} rules; use at most ${MAX_RULES}.` };
  const rules: CheckedRule[] = [];
  for (let i = 0; i < value.length; i++) {
    const checked = validateRule(value[i], `${path}[${i}]`);
    if (!checked.ok) return checked;
    rules.push(checked.rule);
  }
  return { ok: true, rules };
}

