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
 * Default wall-clock budget for one regex match (used by `.tcp` expectations). V8 cannot interrupt
 * a plain `RegExp.exec`, but it does honour the timeout of `vm` script execution inside a regex, so
 * every match runs as a tiny script with a timeout. The price is a watchdog per match (about
 * 0.06 ms here), acceptable for a mock server.
 */
export const REGEX_TIME_BUDGET_MS = 100;

/**
 * Budget of all regex rules together on one frame, in CPU time (each match is stopped by a
 * wall-clock vm timeout of what is left). A per-match budget let 200 slow rules hold the extension
 * host for 40 s on one frame; a per-frame one bounds every frame, however many rules there are.
 * On an idle machine CPU and wall-clock time agree; on an overloaded one a frame can take longer
 * by the clock, but then the host waits for the machine, not for the patterns.
 */
export const FRAME_REGEX_BUDGET_MS = 50;

/**
 * Spent frame budgets after which a rule that took more than its share is switched off. Two, not
 * one, so a single stall of a busy machine does not switch off an innocent rule.
 */
export const REGEX_STRIKES = 2;

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

/** A rule stopped working at run time (its regex repeatedly overran its share of the per-frame budget). */
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
  /** Spent frame budgets on which this rule took more than its share. */
  strikes: number;
  disabledReason?: string;
}

/** The regex time left for one frame, and what each regex rule used of it. */
interface FrameBudget {
  /** Milliseconds of CPU time the regex rules may still use on this frame. */
  left: number;
  spent: boolean;
  /** The frame decoded for regex matching, per encoding. */
  inputs: Map<string, string> | undefined;
  /** Milliseconds of CPU time each regex rule took, by rule index. */
  used: Map<number, number> | undefined;
  /** The rule the vm timeout stopped, if one was. */
  timedOut?: number;
}

/** CPU time of this process (user and system), in milliseconds. */
function cpuMsNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * One bounded match, measured in CPU time as well as wall-clock time. The budget is kept in CPU
 * time, so a machine too busy to run us does not count as a slow pattern.
 */
function timedRegex(pattern: RegExp, input: string, leftMs: number): { timedOut: boolean; match: RegExpExecArray | null; cpuMs: number; wallMs: number } {
  const wallStart = performance.now();
  const cpuStart = cpuMsNow();
  // vm timeouts are whole milliseconds, at least one.
  const { timedOut, match } = runBoundedRegex(pattern, input, Math.max(1, Math.ceil(leftMs)));
  return { timedOut, match, cpuMs: cpuMsNow() - cpuStart, wallMs: performance.now() - wallStart };
}

/** More tries for a match a busy machine stalled; a really slow pattern uses its CPU time and is never retried. */
const STALL_RETRIES = 2;

/**
 * A match the vm timeout stopped while this process hardly ran: less than half of the time on the
 * clock, and little CPU time for the rule in all (a slow pattern on a contended machine still
 * burns CPU, and is judged slow).
 */
function isStall(attempt: { timedOut: boolean; cpuMs: number; wallMs: number }, ruleCpuMs: number): boolean {
  return attempt.timedOut && attempt.cpuMs < attempt.wallMs / 2 && ruleCpuMs < FRAME_REGEX_BUDGET_MS / 5;
}

function formatMs(ms: number): string {
  return ms >= 10 ? String(Math.round(ms)) : ms.toFixed(2).replace(/\.?0+$/, '');
}

/** Capture values for a reply: index 0 is the whole match (or frame), names for named groups. */
interface Captures {
  numbered: (Uint8Array | undefined)[];
  named: Record<string, Uint8Array | undefined>;
}

export class RuleSet implements Disposable {
  private readonly compiled: CompiledRule[];
  private overBudgetFrames = 0;
  private readonly hitEmitter = new Emitter<RuleHit>();
  private readonly faultEmitter = new Emitter<RuleFault>();
  readonly onDidHit: Event<RuleHit> = this.hitEmitter.event;
  readonly onDidFault: Event<RuleFault> = this.faultEmitter.event;

  constructor(rules: readonly CheckedRule[]) {
    this.compiled = rules.map((checked) => ({
      checked,
      regex: checked.match === 'regex' ? new RegExp(checked.patternText, checked.flags) : undefined,
      hits: 0,
      strikes: 0,
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

  /** Frames on which the regex rules ran out of FRAME_REGEX_BUDGET_MS, so later regex rules were not tried. */
  get framesOverBudget(): number {
    return this.overBudgetFrames;
  }

  /**
   * Tries the rules in order; the first match counts a hit and returns what to reply. All regex
   * rules together get FRAME_REGEX_BUDGET_MS per frame: once it is spent the remaining regex rules
   * are skipped for this frame (the cheap kinds still run), and each rule that used more than its
   * share gets a strike; REGEX_STRIKES strikes switch it off, reported through onDidFault.
   */
  /** `checksum`: what the framing's checksum said of this frame, when the framing checks one. */
  evaluate(frame: Uint8Array, checksum?: 'valid' | 'invalid'): RuleHit | undefined {
    const budget: FrameBudget = { left: FRAME_REGEX_BUDGET_MS, spent: false, inputs: undefined, used: undefined };
    let hit: RuleHit | undefined;
    for (let index = 0; index < this.compiled.length && hit === undefined; index++) {
      const rule = this.compiled[index];
      if (!rule.checked.enabled || rule.disabledReason !== undefined) continue;
      if (checksum !== undefined && rule.checked.checksum !== 'any' && rule.checked.checksum !== checksum) continue;
      if (rule.regex !== undefined && budget.spent) continue;
      const captures = this.match(rule, index, frame, budget);
      if (!captures) continue;
      rule.hits++;
      hit = {
        index,
        name: rule.checked.name,
        hits: rule.hits,
        reply: rule.checked.reply && renderReply(rule.checked, captures),
        delayMs: rule.checked.delayMs,
        closeAfterReply: rule.checked.closeAfterReply,
      };
    }
    if (budget.spent) this.blameOverspenders(frame, budget);
    if (hit) this.hitEmitter.fire(hit);
    return hit;
  }

  /** Strikes every regex rule that took more than its share of a spent frame budget (or was stopped); switches off repeat offenders. */
  private blameOverspenders(frame: Uint8Array, budget: FrameBudget): void {
    this.overBudgetFrames++;
    const active = this.compiled.filter((c) => c.regex !== undefined && c.checked.enabled && c.disabledReason === undefined).length;
    const share = FRAME_REGEX_BUDGET_MS / Math.max(1, active);
    for (const [index, ms] of budget.used ?? []) {
      // A rule stopped by the timeout overran whatever it measured.
      if (ms <= share && budget.timedOut !== index) continue;
      const rule = this.compiled[index];
      rule.strikes++;
      if (rule.strikes < REGEX_STRIKES) continue;
      const chars = Math.min(frame.length, MAX_REGEX_INPUT_BYTES);
      rule.disabledReason =
        `its regular expression ran past its share (${formatMs(share)} ms) of the ${FRAME_REGEX_BUDGET_MS} ms regex budget per frame ` +
        `on ${rule.strikes} frames (the last one ${chars} bytes)`;
      this.faultEmitter.fire({ index, name: rule.checked.name, message: `Rule "${rule.checked.name}" was switched off because ${rule.disabledReason}; simplify the pattern.` });
    }
  }

  private match(rule: CompiledRule, index: number, frame: Uint8Array, budget: FrameBudget): Captures | undefined {
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
        // Decoded once per encoding per frame, not once per rule.
        budget.inputs ??= new Map();
        let input = budget.inputs.get(checked.encoding);
        if (input === undefined) {
          input = decodeRuleText(frame.subarray(0, MAX_REGEX_INPUT_BYTES), checked.encoding);
          budget.inputs.set(checked.encoding, input);
        }
        // The vm timeout is wall-clock time: a match stopped while this process hardly ran was
        // stalled by a busy machine, not slow, and is tried again (twice at most) rather than
        // giving a wrong "no match" or a strike against an innocent rule.
        let cpuMs = 0;
        let attempt = timedRegex(rule.regex!, input, budget.left);
        cpuMs += attempt.cpuMs;
        for (let retry = 0; retry < STALL_RETRIES && isStall(attempt, cpuMs); retry++) {
          attempt = timedRegex(rule.regex!, input, Math.max(1, budget.left - cpuMs));
          cpuMs += attempt.cpuMs;
        }
        const { timedOut, match } = attempt;
        budget.left -= cpuMs;
        (budget.used ??= new Map()).set(index, cpuMs);
        // Still stalled after the retries: no verdict on this rule for this frame, and no strike.
        const slow = timedOut && !isStall(attempt, cpuMs);
        if (slow) budget.timedOut = index;
        if (slow || budget.left <= 0) budget.spent = true;
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
