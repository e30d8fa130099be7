// The auto-reply rule engine: tries a listener's rules in order against each received frame and builds
// the reply of the first that matches. Rules come from settings files checked into repositories, so a
// pattern is untrusted input that runs in the extension host; regular expressions are bounded three ways
// (see `runBoundedRegex`).
import * as vm from 'node:vm';
import { decodeRuleText, encodeRuleText, validateRules, type CheckedRule, type RuleMatchKind } from '../shared/ruleDefinition';
import { Emitter, type Disposable, type Event } from './events';

/**
 * A regex only ever sees the first 16 KiB of a frame. With the exponential shapes refused at
 * validation time, what is left is at worst polynomial, and a short input keeps even that small;
 * a mock server's requests are rarely longer, and a match anchored at the start is unaffected.
 */
export const MAX_REGEX_INPUT_BYTES = 16 * 1024;

/**
 * Wall-clock budget for one regex match. V8 cannot interrupt a plain `RegExp.exec`, but it does
 * honour the timeout of `vm` script execution inside a regex, so every match runs as a tiny script
 * with this timeout. A rule that exceeds it is disabled (and reported) rather than retried on every frame.
 * The price is a watchdog per match (a fraction of a millisecond), acceptable for a mock server.
 */
export const REGEX_TIME_BUDGET_MS = 100;

const regexSandbox = vm.createContext(Object.create(null) as object);
const execInSandbox = new vm.Script('pattern.exec(input)');

/** Runs `pattern.exec(input)` within the time budget; `timedOut` when V8 had to stop it. */
export function runBoundedRegex(pattern: RegExp, input: string, budgetMs = REGEX_TIME_BUDGET_MS): { timedOut: boolean; match: RegExpExecArray | null } {
  const sandbox = regexSandbox as { pattern?: RegExp; input?: string };
  sandbox.pattern = pattern;
  sandbox.input = input;
  try {
    return { timedOut: false, match: execInSandbox.runInContext(regexSandbox, { timeout: budgetMs }) as RegExpExecArray | null };
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return { timedOut: true, match: null };
    throw err;
  } finally {
    // Do not keep a large frame alive through the shared sandbox.
    sandbox.pattern = undefined;
    sandbox.input = undefined;
  }
}

/** What the first matching rule wants done with a frame. */
export interface RuleHit {
  index: number;
  name: string;
  /** The rule's hit count, this hit included. */
  hits: number;
  /** Bytes to send back, or undefined for a rule that only closes. */
  reply: Uint8Array | undefined;
  delayMs: number;
  closeAfterReply: boolean;
}

/** A rule stopped working at run time (its regex exceeded the time budget). */
export interface RuleFault {
  index: number;
  name: string;
  message: string;
}

export interface RuleStatus {
  name: string;
  match: RuleMatchKind;
  enabled: boolean;
  hits: number;
  /** Set when the engine switched the rule off, with the reason. */
  disabledReason?: string;
}

interface CompiledRule {
  checked: CheckedRule;
  regex?: RegExp;
  hits: number;
  disabledReason?: string;
}

/** Capture values for a reply: index 0 is the whole match (or frame), names for named groups. */
interface Captures {
  numbered: (Uint8Array | undefined)[];
  named: Record<string, Uint8Array | undefined>;
}

export class RuleSet implements Disposable {
  private readonly compiled: CompiledRule[];
  private readonly hitEmitter = new Emitter<RuleHit>();
  private readonly faultEmitter = new Emitter<RuleFault>();
  readonly onDidHit: Event<RuleHit> = this.hitEmitter.event;
  readonly onDidFault: Event<RuleFault> = this.faultEmitter.event;

  constructor(rules: readonly CheckedRule[]) {
    this.compiled = rules.map((checked) => ({
      checked,
      regex: checked.match === 'regex' ? new RegExp(checked.patternText, checked.flags) : undefined,
      hits: 0,
    }));
  }

  /** Validates raw rule JSON and compiles it, or returns the one-sentence problem naming the field. */
  static compile(value: unknown, path = 'rules'): { ok: true; rules: RuleSet } | { ok: false; error: string } {
    const checked = validateRules(value, path);
    return checked.ok ? { ok: true, rules: new RuleSet(checked.rules) } : checked;
  }

  get size(): number {
    return this.compiled.length;
  }

  status(): RuleStatus[] {
    return this.compiled.map((c) => ({
      name: c.checked.name,
      match: c.checked.match,
      enabled: c.checked.enabled && c.disabledReason === undefined,
      hits: c.hits,
      ...(c.disabledReason === undefined ? {} : { disabledReason: c.disabledReason }),
    }));
  }

  resetHits(): void {
    for (const c of this.compiled) c.hits = 0;
  }

  /** Tries the rules in order; the first match counts a hit and returns what to reply. */
  evaluate(frame: Uint8Array): RuleHit | undefined {
    for (let index = 0; index < this.compiled.length; index++) {
      const rule = this.compiled[index];
      if (!rule.checked.enabled || rule.disabledReason !== undefined) continue;
      const captures = this.match(rule, index, frame);
      if (!captures) continue;
      rule.hits++;
      const hit: RuleHit = {
        index,
        name: rule.checked.name,
        hits: rule.hits,
        reply: rule.checked.reply && renderReply(rule.checked, captures),
        delayMs: rule.checked.delayMs,
        closeAfterReply: rule.checked.closeAfterReply,
      };
      this.hitEmitter.fire(hit);
      return hit;
    }
    return undefined;
  }

  private match(rule: CompiledRule, index: number, frame: Uint8Array): Captures | undefined {
    const { checked } = rule;
    const whole: Captures = { numbered: [frame], named: {} };
    switch (checked.match) {
      case 'exact':
        return bytesEqual(frame, checked.patternBytes) ? whole : undefined;
      case 'hexPrefix':
        return frame.length >= checked.patternBytes.length && bytesEqual(frame.subarray(0, checked.patternBytes.length), checked.patternBytes) ? whole : undefined;
      case 'contains':
        if (!checked.ignoreCase) return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).indexOf(checked.patternBytes) >= 0 ? whole : undefined;
        return decodeRuleText(frame, checked.encoding).toLowerCase().includes(checked.patternText.toLowerCase()) ? whole : undefined;
      case 'regex': {
        const input = decodeRuleText(frame.subarray(0, MAX_REGEX_INPUT_BYTES), checked.encoding);
        let { timedOut, match } = runBoundedRegex(rule.regex!, input);
        // The budget is wall-clock time, so a busy machine can stall one innocent match past it;
        // a second try tells such a stall from a pattern that is really too slow.
        if (timedOut) ({ timedOut, match } = runBoundedRegex(rule.regex!, input));
        if (timedOut) {
          rule.disabledReason = `its regular expression took longer than ${REGEX_TIME_BUDGET_MS} ms twice on a ${input.length}-character frame`;
          this.faultEmitter.fire({ index, name: checked.name, message: `Rule "${checked.name}" was switched off because ${rule.disabledReason}; simplify the pattern.` });
          return undefined;
        }
        if (!match) return undefined;
        const encode = (text: string | undefined) => (text === undefined ? undefined : encodeRuleText(text, checked.encoding));
        const named: Record<string, Uint8Array | undefined> = {};
        for (const [name, text] of Object.entries(match.groups ?? {})) named[name] = encode(text);
        return { numbered: Array.from(match, encode), named };
      }
    }
  }

  dispose(): void {
    this.hitEmitter.dispose();
    this.faultEmitter.dispose();
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Builds reply bytes: literals in the rule's encoding, captures as the bytes they matched (a group that did not take part is empty). */
function renderReply(rule: CheckedRule, captures: Captures): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const segment of rule.reply ?? []) {
    if (segment.kind === 'literal') parts.push(encodeRuleText(segment.text, rule.encoding));
    else if (segment.kind === 'bytes') parts.push(segment.bytes);
    else {
      const value = typeof segment.ref === 'number' ? captures.numbered[segment.ref] : captures.named[segment.ref];
      if (value) parts.push(value);
    }
  }
  return new Uint8Array(Buffer.concat(parts));
}
