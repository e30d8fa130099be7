// Fault injection options for one send, and the exact write pattern they produce. Pure and browser-safe:
// the panel previews the pattern with the same planner the engine executes.
import { formatBytes } from './formatBytes';
import { keyList } from './keyList';
import { plural } from './plural';

/** How a send is broken up on purpose, to test how a peer reassembles a stream. */
export interface FaultOptions {
  /** Join several payloads into one write (default: one write per payload). */
  coalesce?: boolean;
  /** Split each write into this many writes of near-equal size (default 1: no split). */
  splitInto?: number;
  /** Pause between split writes, in ms (default 50, long enough for a peer to see separate reads). */
  splitDelayMs?: number;
  /** Slow drip: write one byte at a time, this many ms apart (overrides splitInto). */
  dripIntervalMs?: number;
  /** After the last write: half-close (FIN) or reset (RST). */
  after?: 'none' | 'halfClose' | 'reset';
}

/** The keys of FaultOptions, for the panel message check: a new option left out fails to compile. */
export const FAULT_KEYS = keyList<FaultOptions>()(['coalesce', 'splitInto', 'splitDelayMs', 'dripIntervalMs', 'after']);

export interface CheckedFaultOptions {
  coalesce: boolean;
  splitInto: number;
  splitDelayMs: number;
  dripIntervalMs: number | undefined;
  after: 'none' | 'halfClose' | 'reset';
}

/** One planned write: its bytes and the pause before it. */
export interface PlannedWrite {
  bytes: Uint8Array;
  delayBeforeMs: number;
}

export const DEFAULT_SPLIT_DELAY_MS = 50;
export const MAX_FAULT_DELAY_MS = 60_000;
/** A drip over more bytes than this would take hours at any useful interval; refuse rather than hang. */
export const MAX_DRIP_BYTES = 65_536;
export const MAX_SPLIT_WRITES = 65_536;
/**
 * Largest single write that coalescing copies may build: the joined bytes are one allocation, and
 * 200 copies of a 12 MiB payload asked for 2.34 GiB (1000 copies threw a RangeError).
 */
export const MAX_COALESCED_BYTES = 64 * 1024 * 1024;
/** Most writes one faulty send may plan (copies × split parts or dripped bytes), each a planned object. */
export const MAX_PLANNED_WRITES = 65_536;

/** Repeat a send every `intervalMs`, `count` times or (without count) until stopped. */
export interface RepeatOptions {
  intervalMs: number;
  count?: number;
}

export const MIN_REPEAT_INTERVAL_MS = 1;
export const MAX_REPEAT_INTERVAL_MS = 86_400_000;

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  return typeof value === 'object' ? (value === null ? 'null' : 'an object') : String(value);
}

function isWhole(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** Checks fault options from the panel or a command; `path` names them in the message. */
export function validateFaultOptions(value: unknown, path = 'faults'): { ok: true; options: CheckedFaultOptions } | { ok: false; error: string } {
  if (value === undefined) return { ok: true, options: { coalesce: false, splitInto: 1, splitDelayMs: DEFAULT_SPLIT_DELAY_MS, dripIntervalMs: undefined, after: 'none' } };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: `${path} must be an object (got ${describe(value)}).` };
  const v = value as Record<string, unknown>;
  if (v.coalesce !== undefined && typeof v.coalesce !== 'boolean') return { ok: false, error: `${path}.coalesce must be true or false (got ${describe(v.coalesce)}).` };
  const splitInto = v.splitInto ?? 1;
  if (!isWhole(splitInto, 1, MAX_SPLIT_WRITES)) return { ok: false, error: `${path}.splitInto must be a whole number of writes from 1 to ${MAX_SPLIT_WRITES} (got ${describe(v.splitInto)}).` };
  const splitDelayMs = v.splitDelayMs ?? DEFAULT_SPLIT_DELAY_MS;
  if (!isWhole(splitDelayMs, 0, MAX_FAULT_DELAY_MS)) return { ok: false, error: `${path}.splitDelayMs must be a whole number of milliseconds from 0 to ${MAX_FAULT_DELAY_MS} (got ${describe(v.splitDelayMs)}).` };
  if (v.dripIntervalMs !== undefined && !isWhole(v.dripIntervalMs, 0, MAX_FAULT_DELAY_MS)) {
    return { ok: false, error: `${path}.dripIntervalMs must be a whole number of milliseconds from 0 to ${MAX_FAULT_DELAY_MS} (got ${describe(v.dripIntervalMs)}).` };
  }
  const after = v.after ?? 'none';
  if (after !== 'none' && after !== 'halfClose' && after !== 'reset') return { ok: false, error: `${path}.after must be "none", "halfClose" or "reset" (got ${describe(after)}).` };
  return { ok: true, options: { coalesce: v.coalesce === true, splitInto, splitDelayMs, dripIntervalMs: v.dripIntervalMs as number | undefined, after } };
}

/** Checks repeat options; one sentence naming the field on failure. */
export function validateRepeatOptions(value: unknown, path = 'repeat'): { ok: true; options: RepeatOptions } | { ok: false; error: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: `${path} must be an object with "intervalMs" (got ${describe(value)}).` };
  const v = value as Record<string, unknown>;
  if (!isWhole(v.intervalMs, MIN_REPEAT_INTERVAL_MS, MAX_REPEAT_INTERVAL_MS)) {
    return { ok: false, error: `${path}.intervalMs must be a whole number of milliseconds from ${MIN_REPEAT_INTERVAL_MS} to ${MAX_REPEAT_INTERVAL_MS} (got ${describe(v.intervalMs)}).` };
  }
  if (v.count !== undefined && !isWhole(v.count, 1, Number.MAX_SAFE_INTEGER)) {
    return { ok: false, error: `${path}.count must be a whole number, at least 1, or left out to repeat until stopped (got ${describe(v.count)}).` };
  }
  return { ok: true, options: { intervalMs: v.intervalMs, ...(v.count === undefined ? {} : { count: v.count as number }) } };
}

/**
 * Checks that these payloads can be sent with these faults without building an unbounded plan:
 * coalesced at most MAX_COALESCED_BYTES in total, and at most MAX_PLANNED_WRITES writes. `what`
 * names the payloads in the sentence for the user; undefined when it fits.
 */
function checkPlanSize(sizes: readonly number[], options: Pick<CheckedFaultOptions, 'coalesce' | 'splitInto' | 'dripIntervalMs'>, what: string): string | undefined {
  const total = sizes.reduce((n, size) => n + size, 0);
  const coalesced = options.coalesce && sizes.length > 1;
  if (coalesced && total > MAX_COALESCED_BYTES) {
    return `${what} coalesced into one write would be ${formatBytes(total)}, over the ${formatBytes(MAX_COALESCED_BYTES)} limit for one write; send fewer copies, a smaller payload, or turn coalesce off.`;
  }
  const units = coalesced ? [total] : sizes;
  // A drip over MAX_DRIP_BYTES gets its own sentence from planWrites.
  if (options.dripIntervalMs !== undefined && units.some((size) => size > MAX_DRIP_BYTES)) return undefined;
  const writes = units.reduce((n, size) => n + (options.dripIntervalMs !== undefined ? size : Math.min(options.splitInto, size)), 0);
  if (writes > MAX_PLANNED_WRITES) {
    const how = options.dripIntervalMs !== undefined ? 'dripped byte by byte' : `split into ${options.splitInto} writes each`;
    return `${what} ${how} would be ${writes} writes, over the limit of ${MAX_PLANNED_WRITES}; send fewer copies or split less.`;
  }
  return undefined;
}

/**
 * The writes a faulty send will make, in order. Each payload (or all of them joined, with coalesce)
 * is one write, split into `splitInto` near-equal parts `splitDelayMs` apart, or dripped byte by byte.
 * Sizes differ by at most one byte, larger parts first, and a split never produces empty writes.
 */
export function planWrites(payloads: readonly Uint8Array[], options: CheckedFaultOptions): { ok: true; writes: PlannedWrite[] } | { ok: false; error: string } {
  // Checked by size before anything is allocated: the join and the plan are the costly parts.
  const sizes = payloads.filter((p) => p.length > 0).map((p) => p.length);
  const same = sizes.every((size) => size === sizes[0]);
  const tooMuch = checkPlanSize(sizes, options, same ? `${sizes.length} copies of ${formatBytes(sizes[0] ?? 0)}` : `${sizes.length} payloads`);
  if (tooMuch) return { ok: false, error: tooMuch };
  const units = options.coalesce && payloads.length > 1 ? [concatBytes(payloads)] : payloads.filter((p) => p.length > 0);
  const writes: PlannedWrite[] = [];
  for (const unit of units) {
    const first = writes.length === 0;
    if (options.dripIntervalMs !== undefined) {
      if (unit.length > MAX_DRIP_BYTES) return { ok: false, error: `A slow drip of ${unit.length} bytes is over the ${MAX_DRIP_BYTES}-byte limit; drip a smaller payload.` };
      for (let i = 0; i < unit.length; i++) writes.push({ bytes: unit.subarray(i, i + 1), delayBeforeMs: first && i === 0 ? 0 : options.dripIntervalMs });
      continue;
    }
    const parts = Math.min(options.splitInto, unit.length);
    const base = Math.floor(unit.length / parts);
    const larger = unit.length % parts;
    let offset = 0;
    for (let i = 0; i < parts; i++) {
      const size = base + (i < larger ? 1 : 0);
      writes.push({ bytes: unit.subarray(offset, offset + size), delayBeforeMs: i === 0 ? 0 : options.splitDelayMs });
      offset += size;
    }
  }
  return { ok: true, writes };
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** One line for the panel: how many writes, and each write's size and time, e.g. `3 writes: 4 B at 0 ms, 3 B at 150 ms, 3 B at 300 ms`. */
export function summariseWrites(writes: readonly { bytes: Uint8Array; at: number }[]): string {
  if (writes.length === 0) return 'nothing written';
  const parts = writes.map((w) => `${w.bytes.length} B at ${Math.round(w.at)} ms`);
  const shown = parts.length > 8 ? [...parts.slice(0, 8), `… ${parts.length - 8} more`] : parts;
  return `${plural(writes.length, 'write')}: ${shown.join(', ')}`;
}
