// The quick-send bar's vocabulary: a preset payload's repeat and sequence as written in settings,
// their validation (the settings reader and the panel use the same), and the resolved steps the
// panel posts for the host to run. A sequence follows `.tcp` step semantics: sends in order, an
// expectation waits for a reply in what was received since the sequence began, a delay pauses.
import { describeValue, isRecord } from './describeValue';
import { parseHex } from './parsePayload';
import { findCatastrophicShape } from './ruleDefinition';

/** One step of a preset payload's `sequence`, as in settings.json. */
export interface SequenceStepDefinition {
  /** Send the payload of the same preset with this name (its checksum included). */
  send?: string;
  /** Wait for a reply that contains `pattern` (text or hex) or that `pattern` (a regex) matches. */
  expect?: 'text' | 'hex' | 'regex';
  pattern?: string;
  /** How long `expect` waits (default 5 s). */
  withinMs?: number;
  /** Pause this long. */
  delayMs?: number;
}

export type CheckedStep =
  | { kind: 'send'; payload: string }
  | { kind: 'expect'; match: 'text' | 'hex' | 'regex'; pattern: string; withinMs: number }
  | { kind: 'delay'; ms: number };

export const MAX_SEQUENCE_STEPS = 100;
export const DEFAULT_EXPECT_WITHIN_MS = 5000;
/** Longest wait one step may ask for: a quick-send button is not a soak test. */
export const MAX_STEP_WAIT_MS = 600_000;
export const MIN_REPEAT_INTERVAL_MS = 10;

export type SequenceValidation = { ok: true; steps: CheckedStep[] } | { ok: false; error: string };

function waitProblem(value: unknown, field: string): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_STEP_WAIT_MS) {
    return `${field} must be a whole number of milliseconds from 0 to ${MAX_STEP_WAIT_MS} (got ${describeValue(value)}).`;
  }
  return undefined;
}

/**
 * Checks a payload's `sequence`; `payloadNames` are the preset's payloads a `send` step may name.
 * `path` names it in messages, e.g. `Preset "PLC": payloads[2].sequence`.
 */
export function validateSequence(value: unknown, path: string, payloadNames: readonly string[]): SequenceValidation {
  if (!Array.isArray(value)) return { ok: false, error: `${path} must be a list of steps such as { "send": "name" } (got ${describeValue(value)}).` };
  if (value.length > MAX_SEQUENCE_STEPS) return { ok: false, error: `${path} has ${value.length} steps; use at most ${MAX_SEQUENCE_STEPS}.` };
  const steps: CheckedStep[] = [];
  for (const [i, raw] of value.entries()) {
    const at = `${path}[${i}]`;
    if (!isRecord(raw)) return { ok: false, error: `${at} must be an object with "send", "expect" or "delayMs" (got ${describeValue(raw)}).` };
    const kinds = (['send', 'expect', 'delayMs'] as const).filter((k) => raw[k] !== undefined);
    if (kinds.length !== 1) return { ok: false, error: `${at} must have exactly one of "send", "expect" or "delayMs".` };
    if (raw.send !== undefined) {
      if (typeof raw.send !== 'string' || !payloadNames.includes(raw.send)) {
        const known = payloadNames.length ? payloadNames.map((n) => JSON.stringify(n)).join(', ') : 'none';
        return { ok: false, error: `${at}.send must name a payload of this preset (${known}), but is ${describeValue(raw.send)}.` };
      }
      steps.push({ kind: 'send', payload: raw.send });
    } else if (raw.delayMs !== undefined) {
      const problem = waitProblem(raw.delayMs, `${at}.delayMs`);
      if (problem) return { ok: false, error: problem };
      steps.push({ kind: 'delay', ms: raw.delayMs as number });
    } else {
      const match = raw.expect;
      if (match !== 'text' && match !== 'hex' && match !== 'regex') return { ok: false, error: `${at}.expect must be "text", "hex" or "regex" (got ${describeValue(match)}).` };
      const pattern = raw.pattern;
      if (typeof pattern !== 'string' || pattern === '') return { ok: false, error: `${at}.pattern must be the non-empty ${match} to wait for (got ${describeValue(pattern)}).` };
      const problem = patternProblem(match, pattern, `${at}.pattern`);
      if (problem) return { ok: false, error: problem };
      const withinMs = raw.withinMs ?? DEFAULT_EXPECT_WITHIN_MS;
      const waitError = waitProblem(withinMs, `${at}.withinMs`);
      if (waitError) return { ok: false, error: waitError };
      steps.push({ kind: 'expect', match, pattern, withinMs: withinMs as number });
    }
  }
  return { ok: true, steps };
}

function patternProblem(match: 'text' | 'hex' | 'regex', pattern: string, field: string): string | undefined {
  if (match === 'hex') {
    const parsed = parseHex(pattern);
    if (!parsed.ok) return `${field}: ${parsed.error.message}`;
    return parsed.bytes.length === 0 ? `${field} must contain at least one hex byte.` : undefined;
  }
  if (match !== 'regex') return undefined;
  const shape = findCatastrophicShape(pattern);
  if (shape) return `${field} is refused because ${shape} can make matching take exponential time; simplify the pattern.`;
  try {
    new RegExp(pattern);
    return undefined;
  } catch (err) {
    return `${field} is not a valid regular expression (${err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err)}).`;
  }
}

/** A payload's `repeat`: every `intervalMs`, `count` times or until stopped. */
export function validatePayloadRepeat(value: unknown, path: string): { ok: true; repeat: { intervalMs: number; count?: number } } | { ok: false; error: string } {
  if (!isRecord(value)) return { ok: false, error: `${path} must be an object such as { "intervalMs": 1000, "count": 10 } (got ${describeValue(value)}).` };
  const { intervalMs, count } = value;
  if (typeof intervalMs !== 'number' || !Number.isInteger(intervalMs) || intervalMs < MIN_REPEAT_INTERVAL_MS) {
    return { ok: false, error: `${path}.intervalMs must be a whole number of milliseconds, at least ${MIN_REPEAT_INTERVAL_MS} (got ${describeValue(intervalMs)}).` };
  }
  if (count !== undefined && (typeof count !== 'number' || !Number.isInteger(count) || count < 1)) {
    return { ok: false, error: `${path}.count must be a whole number, at least 1 (got ${describeValue(count)}).` };
  }
  return { ok: true, repeat: { intervalMs, ...(count !== undefined ? { count: count as number } : {}) } };
}

/** A resolved step as the panel posts it: bytes already built (variables, checksum), base64. */
export type SequenceWireStep =
  | { kind: 'send'; data: string }
  | { kind: 'expect'; match: 'bytes'; data: string; withinMs: number; /** The step as written, for messages. */ label: string }
  | { kind: 'expect'; match: 'regex'; pattern: string; withinMs: number; label: string }
  | { kind: 'delay'; ms: number };
