// How the editor asks for each fault's attributes: Toxiproxy's attribute names with their units, in
// the order a person fills them in. The panel's faults editor and the Add Fault… command both use it;
// the values are checked by validateToxic (shared/toxics.ts), which owns the bounds and defaults.
import type { ToxicStream, ToxicType } from './toxics';

export interface ToxicAttributeField {
  key: string;
  /** With its unit, e.g. "latency (ms)". */
  label: string;
  /** Text attributes (replace's bytes and their format); the rest are numbers. */
  text?: true;
  /** May be left blank (the default applies). */
  optional?: true;
}

export const TOXIC_ATTRIBUTE_FIELDS: Record<ToxicType, readonly ToxicAttributeField[]> = {
  latency: [{ key: 'latency', label: 'latency (ms)' }, { key: 'jitter', label: 'jitter (ms)', optional: true }],
  bandwidth: [{ key: 'rate', label: 'rate (KB/s)' }],
  slow_close: [{ key: 'delay', label: 'delay (ms)' }],
  timeout: [{ key: 'timeout', label: 'timeout (ms, 0 = never close)' }],
  reset_peer: [{ key: 'timeout', label: 'timeout (ms, then RST)' }],
  slicer: [{ key: 'average_size', label: 'average size (bytes)' }, { key: 'size_variation', label: 'size variation (bytes)', optional: true }, { key: 'delay', label: 'delay (µs)', optional: true }],
  limit_data: [{ key: 'bytes', label: 'bytes' }],
  drop: [],
  replace: [{ key: 'with', label: 'with', text: true }, { key: 'format', label: 'format (text or hex)', text: true, optional: true }],
  duplicate: [{ key: 'times', label: 'extra copies', optional: true }],
};

/** One line about what each fault does, for pickers and hints. */
export const TOXIC_TYPE_HINTS: Record<ToxicType, string> = {
  latency: 'delay every chunk (± jitter)',
  bandwidth: 'limit the rate',
  slow_close: 'delay the close',
  timeout: 'stop forwarding, close later (0: never)',
  reset_peer: 'reset (RST) the pair after a time',
  slicer: 'cut chunks into small slices',
  limit_data: 'close after so many bytes',
  drop: 'drop the (matching) frames',
  replace: 'forward other bytes instead',
  duplicate: 'forward the (matching) frames twice',
};

/** Which way a stream flows, in the words the panel's direction column uses. */
export const TOXIC_STREAM_LABELS: Record<ToxicStream, string> = {
  upstream: 'upstream (client → upstream)',
  downstream: 'downstream (upstream → client)',
};

/** "latency 200, jitter 20": one line about a fault's attributes as set. */
export function describeToxicAttributes(type: ToxicType, attributes: Record<string, unknown>): string {
  return TOXIC_ATTRIBUTE_FIELDS[type]
    .filter((field) => attributes[field.key] !== undefined)
    .map((field) => `${field.label.replace(/ \(.*\)$/, '')} ${String(attributes[field.key])}`)
    .join(', ');
}
