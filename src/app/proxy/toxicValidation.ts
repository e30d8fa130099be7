// One check for a toxic as plain JSON (from the HTTP API or a proxy preset's `faults`): one sentence
// naming the toxic and the field, with Toxiproxy's attribute names and units. Unknown attribute
// names are refused rather than ignored (a misspelled `latncy` would otherwise inject nothing).
import { describeValue, isRecord } from '../../shared/describeValue';
import { decodeHexField } from '../../shared/framing';
import { validateRule } from '../../shared/ruleDefinition';
import { TOXIC_STREAMS, TOXIC_TYPES, type ToxicType } from '../../shared/toxics';

/** Timers above this fire at once in Node (setTimeout's 32-bit limit), so ms values stop there. */
export const MAX_TOXIC_MS = 2_147_483_647;
export const MAX_DUPLICATE_TIMES = 100;

type AttributeSpec = { kind: 'ms' | 'us' | 'count' | 'bytes' | 'rate'; required?: boolean; min?: number } | { kind: 'text' } | { kind: 'format' };

/** Each type's attributes; missing numbers default to 0 as in Toxiproxy, unless marked required. */
const ATTRIBUTES: { [T in ToxicType]: Record<string, AttributeSpec> } = {
  latency: { latency: { kind: 'ms' }, jitter: { kind: 'ms' } },
  bandwidth: { rate: { kind: 'rate' } },
  slow_close: { delay: { kind: 'ms' } },
  timeout: { timeout: { kind: 'ms' } },
  reset_peer: { timeout: { kind: 'ms' } },
  slicer: { average_size: { kind: 'bytes', required: true, min: 1 }, size_variation: { kind: 'bytes' }, delay: { kind: 'us' } },
  limit_data: { bytes: { kind: 'bytes' } },
  drop: {},
  replace: { with: { kind: 'text' }, format: { kind: 'format' } },
  duplicate: { times: { kind: 'count', min: 1 } },
};

const UNIT: Record<string, string> = { ms: 'milliseconds', us: 'microseconds', count: 'times', bytes: 'bytes', rate: 'KB/s' };

/** One bad field of a toxic: its path from the toxic down (`attributes.latency`) and the sentence. */
export interface ToxicProblem {
  field: string;
  message: string;
}

/**
 * The first problem with a toxic, or undefined. `label` starts the sentence (default: the toxic's
 * name); `prefix` goes before each field's name (`faults[0].` in a preset).
 */
export function toxicProblem(toxic: unknown, label?: string, prefix = ''): ToxicProblem | undefined {
  const fieldProblem = (name: string, who: string, what: string): ToxicProblem => ({ field: `${prefix}${name}`, message: `${who}: "${prefix}${name}" ${what}.` });
  if (!isRecord(toxic)) return { field: prefix.replace(/\.$/, '') || '(toxic)', message: `${label ?? 'The toxic'} must be an object with "type" and "attributes", but is ${describeValue(toxic)}.` };
  const who = label ?? `Toxic ${JSON.stringify(typeof toxic.name === 'string' ? toxic.name : String(toxic.type))}`;
  const field = (name: string, what: string): ToxicProblem => fieldProblem(name, who, what);
  if (typeof toxic.type !== 'string' || !(TOXIC_TYPES as readonly string[]).includes(toxic.type)) return field('type', `must be one of ${TOXIC_TYPES.join(', ')}, but is ${describeValue(toxic.type, 'missing')}`);
  if (toxic.stream !== undefined && !(TOXIC_STREAMS as readonly unknown[]).includes(toxic.stream)) return field('stream', `must be "upstream" (client to server) or "downstream" (server to client), but is ${describeValue(toxic.stream)}`);
  if (toxic.name !== undefined && (typeof toxic.name !== 'string' || toxic.name === '')) return field('name', `must be a non-empty string, but is ${describeValue(toxic.name)}`);
  const { toxicity } = toxic;
  if (toxicity !== undefined && (typeof toxicity !== 'number' || !Number.isFinite(toxicity) || toxicity < 0 || toxicity > 1)) {
    return field('toxicity', `must be a number from 0 to 1 (the share of connections it applies to), but is ${describeValue(toxicity)}`);
  }
  if (toxic.seed !== undefined && (typeof toxic.seed !== 'number' || !Number.isSafeInteger(toxic.seed) || toxic.seed < 0)) {
    return field('seed', `must be a whole number from 0 up, but is ${describeValue(toxic.seed)}`);
  }
  const attributes = toxic.attributes ?? {};
  if (!isRecord(attributes)) return field('attributes', `must be an object, but is ${describeValue(attributes)}`);
  const specs = ATTRIBUTES[toxic.type as ToxicType];
  for (const name of Object.keys(attributes)) {
    if (!(name in specs)) {
      const known = Object.keys(specs);
      return field(`attributes.${name}`, `is not an attribute of ${toxic.type} toxics; ${known.length ? `use ${known.join(', ')}` : 'it takes none'}`);
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    const problem = attributeProblem(spec, attributes[name]);
    if (problem) return field(`attributes.${name}`, problem);
  }
  if (toxic.type === 'slicer') {
    const average = attributes.average_size as number;
    const variation = (attributes.size_variation as number | undefined) ?? 0;
    if (variation >= average) return field('attributes.size_variation', `must be smaller than average_size (${average}), but is ${variation}`);
  }
  if (toxic.type === 'replace' && attributes.format === 'hex' && typeof attributes.with === 'string') {
    const decoded = decodeHexField(attributes.with, `"${prefix}attributes.with"`);
    if (!decoded.ok) return { field: `${prefix}attributes.with`, message: `${who}: ${decoded.error}` };
  }
  if (toxic.when !== undefined) {
    // The trigger is a rule's matcher, so it goes through the rules' own check (regex safety included).
    if (!isRecord(toxic.when)) return field('when', `must be an object with "match" and "pattern", but is ${describeValue(toxic.when)}`);
    const { match, pattern, patternFormat, ignoreCase, flags } = toxic.when;
    const checked = validateRule({ match, pattern, patternFormat, ignoreCase, flags, reply: '' }, `${prefix}when`);
    if (!checked.ok) return { field: `${prefix}when`, message: `${who}: ${checked.error}` };
  }
  return undefined;
}

function attributeProblem(spec: AttributeSpec, value: unknown): string | undefined {
  if (spec.kind === 'text') return typeof value === 'string' ? undefined : `must be the bytes to send instead, as a string, but is ${describeValue(value, 'missing')}`;
  if (spec.kind === 'format') return value === undefined || value === 'text' || value === 'hex' ? undefined : `must be "text" or "hex", but is ${describeValue(value)}`;
  if (value === undefined) return spec.required ? `is required (${UNIT[spec.kind]})` : undefined;
  const min = spec.min ?? 0;
  const max = spec.kind === 'ms' ? MAX_TOXIC_MS : spec.kind === 'count' ? MAX_DUPLICATE_TIMES : Number.MAX_SAFE_INTEGER;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
    return `must be a whole number of ${UNIT[spec.kind]}, ${range}, but is ${describeValue(value)}`;
  }
  return undefined;
}
