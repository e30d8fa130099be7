// Proxy faults ("toxics") as plain JSON, shaped as Toxiproxy shapes them so its users, its HTTP API
// clients and its JSON files carry over unchanged: { name, type, stream, toxicity, attributes }.
// TCP Lab adds a `seed` (reproducible randomness) and `when` (apply only to frames whose content
// matches, with the auto-reply rules' matchers), and three content actions Toxiproxy lacks.
// Browser-safe: the panel, presets, the HTTP API and the engine share these definitions.
// Validation lives here too, so every entry point (presets, panel, HTTP API) words a bad toxic the same way.
import { describeValue, isRecord } from './describeValue';
import { decodeHexField, validateFraming, type FramingDefinition } from './framing';
import { parseHostPort, parseTarget } from './hostPort';
import { validateRule, type RuleMatchKind } from './ruleDefinition';
import type { Endpoint } from './types';

/** `upstream` = client → server (what the client sends), `downstream` = server → client. */
export type ToxicStream = 'upstream' | 'downstream';

export const TOXIC_STREAMS: readonly ToxicStream[] = ['upstream', 'downstream'];

/** Toxiproxy's toxics, with its attribute names and units. */
export interface ToxicAttributesByType {
  /** Delay every chunk by `latency` ms ± `jitter` ms. */
  latency: { latency: number; jitter?: number };
  /** Limit the stream to `rate` KB/s (1 KB = 1000 bytes, as Toxiproxy counts). */
  bandwidth: { rate: number };
  /** Delay the close (FIN) by `delay` ms after the other side closed. */
  slow_close: { delay: number };
  /** Stop forwarding; close both sides after `timeout` ms (0: never close). */
  timeout: { timeout: number };
  /** Reset (RST) the pair after `timeout` ms (0: at once). */
  reset_peer: { timeout: number };
  /** Cut chunks into slices of `average_size` ± `size_variation` bytes, `delay` µs apart. */
  slicer: { average_size: number; size_variation?: number; delay?: number };
  /** Close the pair once `bytes` bytes went through in this stream. */
  limit_data: { bytes: number };
  /** TCP Lab: drop the (matching) frames. */
  drop: Record<string, never>;
  /** TCP Lab: forward other bytes instead of the (matching) frame. */
  replace: { with: string; format?: 'text' | 'hex' };
  /** TCP Lab: forward the (matching) frame `times` extra times (default 1). */
  duplicate: { times?: number };
}

export type ToxicType = keyof ToxicAttributesByType;

export const TOXIC_TYPES: readonly ToxicType[] = ['latency', 'bandwidth', 'slow_close', 'timeout', 'reset_peer', 'slicer', 'limit_data', 'drop', 'replace', 'duplicate'];

/** Which frames a toxic applies to: a frame (per the stream's framing) matching like an auto-reply rule. */
export interface ToxicTrigger {
  match: RuleMatchKind;
  pattern: string;
  patternFormat?: 'text' | 'hex';
  ignoreCase?: boolean;
  flags?: string;
}

/** One toxic, as Toxiproxy's API returns it, plus TCP Lab's `seed` and `when`. */
export type ToxicDefinition = {
  [T in ToxicType]: {
    /** Unique within its proxy; Toxiproxy's default is `<type>_<stream>`. */
    name: string;
    type: T;
    stream: ToxicStream;
    /** Probability 0–1 that the toxic applies to a given connection (pair); default 1. */
    toxicity: number;
    attributes: ToxicAttributesByType[T];
    /** Seeds the toxic's randomness (toxicity draws, jitter, slice sizes): same seed, same behaviour. */
    seed?: number;
    when?: ToxicTrigger;
  };
}[ToxicType];

/** A proxy as Toxiproxy's API shows it (`listen` and `upstream` as host:port). */
export interface ProxyDefinition {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicDefinition[];
  /** TCP Lab: how each stream is cut into frames, for `when` triggers and the panel (default none). */
  framing?: { upstream?: FramingDefinition; downstream?: FramingDefinition };
}

/** Toxiproxy's default stream for a toxic that names none. */
export const DEFAULT_TOXIC_STREAM: ToxicStream = 'downstream';

/** The toxics whose action is per frame (or per chunk), so a `when` trigger can narrow them. */
export const TRIGGERABLE_TOXIC_TYPES: readonly ToxicType[] = ['latency', 'slicer', 'reset_peer', 'drop', 'replace', 'duplicate'];

/** Milliseconds any time attribute may reach: a day is far beyond any test, and keeps timers in range. */
export const MAX_TOXIC_MS = 86_400_000;
/** Bytes in one limit_data / slicer attribute at most (1 TiB): large enough for any stream, exact as a double. */
export const MAX_TOXIC_BYTES = 2 ** 40;
export const MAX_DUPLICATE_TIMES = 100;
/** A proxy's (and a toxic's) name appears in API paths, so it stays short and free of slashes. */
export const MAX_PROXY_NAME_CHARS = 100;

/** What each attribute is: its unit for messages, its default (undefined: required), its bounds. */
interface NumberAttribute {
  unit: 'ms' | 'µs' | 'KB/s' | 'bytes' | 'times';
  default?: number;
  min: number;
  max: number;
}

const MS: NumberAttribute = { unit: 'ms', default: 0, min: 0, max: MAX_TOXIC_MS };

const NUMBER_ATTRIBUTES: { [T in ToxicType]: Record<string, NumberAttribute> } = {
  latency: { latency: MS, jitter: MS },
  // Toxiproxy treats a rate of 0 as "no limit"; so do we.
  bandwidth: { rate: { unit: 'KB/s', default: 0, min: 0, max: 10_000_000 } },
  slow_close: { delay: MS },
  timeout: { timeout: MS },
  reset_peer: { timeout: MS },
  slicer: {
    average_size: { unit: 'bytes', min: 1, max: 16 * 1024 * 1024 },
    size_variation: { unit: 'bytes', default: 0, min: 0, max: 16 * 1024 * 1024 },
    delay: { unit: 'µs', default: 0, min: 0, max: MAX_TOXIC_MS * 1000 },
  },
  limit_data: { bytes: { unit: 'bytes', default: 0, min: 0, max: MAX_TOXIC_BYTES } },
  drop: {},
  replace: {},
  duplicate: { times: { unit: 'times', default: 1, min: 1, max: MAX_DUPLICATE_TIMES } },
};

const TRIGGER_KEYS = ['match', 'pattern', 'patternFormat', 'ignoreCase', 'flags'] as const;

export type ToxicValidation = { ok: true; toxic: ToxicDefinition } | { ok: false; error: string };

function quoted(list: readonly string[]): string {
  return list.map((item) => `"${item}"`).join(', ');
}

/** A proxy or toxic name: non-empty, short, no slash (names are API path segments). Undefined when fine. */
export function checkName(value: unknown, path: string): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return `${path} must be non-empty text (got ${describeValue(value)}).`;
  if (value.length > MAX_PROXY_NAME_CHARS) return `${path} is ${value.length} characters long; keep it to ${MAX_PROXY_NAME_CHARS}.`;
  if (/[/\\?#\s]/.test(value)) return `${path} ${describeValue(value)} may not contain slashes, "?", "#" or spaces, since it is part of API paths; use letters, digits, "_", "-" or ".".`;
  return undefined;
}

/**
 * Checks one toxic as a settings file, the panel or an API client wrote it and fills in Toxiproxy's
 * defaults (stream `downstream`, toxicity 1, name `<type>_<stream>`, attributes 0). Unknown keys at
 * the top level are ignored, as Toxiproxy's JSON decoding ignores them (clients send extra fields);
 * an unknown attribute is refused, because a misspelt one would otherwise silently become 0.
 * `path` names the toxic in messages, e.g. `tcpLab.presets[0].faults[1]`.
 */
export function validateToxic(value: unknown, path = 'toxic'): ToxicValidation {
  const fail = (error: string): ToxicValidation => ({ ok: false, error });
  if (!isRecord(value)) return fail(`${path} must be an object with "type" and "attributes" (got ${describeValue(value)}).`);
  const type = value.type;
  if (typeof type !== 'string' || !TOXIC_TYPES.includes(type as ToxicType)) {
    return fail(`${path}.type must be one of ${quoted(TOXIC_TYPES)} (got ${describeValue(type)}).`);
  }
  const toxicType = type as ToxicType;
  const stream = value.stream ?? DEFAULT_TOXIC_STREAM;
  if (stream !== 'upstream' && stream !== 'downstream') {
    return fail(`${path}.stream must be "upstream" (client to server) or "downstream" (server to client) (got ${describeValue(stream)}).`);
  }
  const name = value.name === undefined || value.name === '' ? `${toxicType}_${stream}` : value.name;
  const nameProblem = checkName(name, `${path}.name`);
  if (nameProblem) return fail(nameProblem);
  const toxicity = value.toxicity ?? 1;
  if (typeof toxicity !== 'number' || !Number.isFinite(toxicity) || toxicity < 0 || toxicity > 1) {
    return fail(`${path}.toxicity must be a probability from 0 to 1, such as 0.5 (got ${describeValue(toxicity)}).`);
  }
  const attributes = value.attributes ?? {};
  if (!isRecord(attributes)) return fail(`${path}.attributes must be an object (got ${describeValue(attributes)}).`);
  const checked = checkAttributes(toxicType, attributes, `${path}.attributes`);
  if (typeof checked === 'string') return fail(checked);
  const seed = value.seed;
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff)) {
    return fail(`${path}.seed must be a whole number from 0 to 4294967295 (got ${describeValue(seed)}).`);
  }
  let when: ToxicTrigger | undefined;
  if (value.when !== undefined) {
    const trigger = checkTrigger(toxicType, value.when, `${path}.when`);
    if (typeof trigger === 'string') return fail(trigger);
    when = trigger;
  }
  const toxic = {
    name: name as string,
    type: toxicType,
    stream,
    toxicity,
    attributes: checked,
    ...(seed !== undefined ? { seed } : {}),
    ...(when ? { when } : {}),
  } as ToxicDefinition;
  return { ok: true, toxic };
}

/** The attributes with defaults filled in, or the sentence saying what is wrong. */
function checkAttributes(type: ToxicType, attributes: Record<string, unknown>, path: string): ToxicDefinition['attributes'] | string {
  const numbers = NUMBER_ATTRIBUTES[type];
  const allowed = type === 'replace' ? ['with', 'format'] : Object.keys(numbers);
  for (const key of Object.keys(attributes)) {
    if (!allowed.includes(key)) {
      const hint = allowed.length === 0 ? `a ${type} toxic takes no attributes` : `a ${type} toxic takes ${quoted(allowed)}`;
      return `${path}.${key} is not an attribute of ${type}; ${hint}.`;
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(numbers)) {
    const raw = attributes[key] ?? spec.default;
    if (raw === undefined) return `${path}.${key} is required for a ${type} toxic; give a whole number of ${spec.unit} from ${spec.min}.`;
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < spec.min || raw > spec.max) {
      return `${path}.${key} must be a whole number of ${spec.unit} from ${spec.min} to ${spec.max} (got ${describeValue(raw)}).`;
    }
    out[key] = raw;
  }
  if (type === 'slicer' && (out.size_variation as number) >= (out.average_size as number)) {
    return `${path}.size_variation (${String(out.size_variation)}) must be smaller than average_size (${String(out.average_size)}), so every slice keeps at least one byte.`;
  }
  if (type === 'replace') {
    const format = attributes.format ?? 'text';
    if (format !== 'text' && format !== 'hex') return `${path}.format must be "text" or "hex" (got ${describeValue(format)}).`;
    const replacement = attributes.with;
    if (typeof replacement !== 'string') return `${path}.with must be text: the bytes to forward instead (got ${describeValue(replacement)}).`;
    if (format === 'hex') {
      const decoded = decodeHexField(replacement, `${path}.with`);
      if (!decoded.ok) return decoded.error;
    }
    out.with = replacement;
    out.format = format;
  }
  return out as ToxicDefinition['attributes'];
}

function checkTrigger(type: ToxicType, value: unknown, path: string): ToxicTrigger | string {
  if (!TRIGGERABLE_TOXIC_TYPES.includes(type)) {
    return `${path} applies only to ${quoted(TRIGGERABLE_TOXIC_TYPES)} toxics, which act on single frames; remove it from this ${type} toxic.`;
  }
  if (!isRecord(value)) return `${path} must be an object with "match" and "pattern" (got ${describeValue(value)}).`;
  for (const key of Object.keys(value)) {
    if (!(TRIGGER_KEYS as readonly string[]).includes(key)) return `${path}.${key} is not part of a trigger; use ${quoted(TRIGGER_KEYS)}.`;
  }
  // The auto-reply rules' own validation, so a trigger matches exactly as a rule with that pattern would.
  const checked = validateRule({ ...value, closeAfterReply: true }, path);
  if (!checked.ok) return checked.error;
  const trigger: ToxicTrigger = { match: checked.rule.match, pattern: checked.rule.patternText };
  if (value.patternFormat !== undefined) trigger.patternFormat = checked.rule.patternFormat;
  if (value.ignoreCase !== undefined) trigger.ignoreCase = checked.rule.ignoreCase;
  if (value.flags !== undefined) trigger.flags = checked.rule.flags;
  return trigger;
}

/**
 * Toxiproxy's update: the given fields replace the toxic's, attributes merged key by key; the name
 * and type stay. Returns the checked result or the sentence.
 */
export function mergeToxicUpdate(existing: ToxicDefinition, patch: unknown, path = 'toxic'): ToxicValidation {
  if (!isRecord(patch)) return { ok: false, error: `${path} must be an object (got ${describeValue(patch)}).` };
  if (patch.type !== undefined && patch.type !== existing.type) {
    return { ok: false, error: `${path}.type cannot change from "${existing.type}" to ${describeValue(patch.type)}; remove the toxic and add a new one.` };
  }
  if (patch.name !== undefined && patch.name !== existing.name) {
    return { ok: false, error: `${path}.name cannot change from "${existing.name}"; remove the toxic and add one with the new name.` };
  }
  const attributes = patch.attributes === undefined ? existing.attributes : isRecord(patch.attributes) ? { ...existing.attributes, ...patch.attributes } : patch.attributes;
  return validateToxic({ ...existing, ...patch, name: existing.name, type: existing.type, attributes }, path);
}

/** A proxy definition with every field checked; `listen` and `upstream` parsed. */
export interface CheckedProxyDefinition {
  name: string;
  listenHost: string;
  listenPort: number;
  upstreamHost: string;
  upstreamPort: number;
  /** The upstream was written `tls://host:port`: the proxy speaks TLS to it. */
  upstreamTls: boolean;
  enabled: boolean;
  toxics: ToxicDefinition[];
  framing?: ProxyDefinition['framing'];
}

export type ProxyValidation = { ok: true; proxy: CheckedProxyDefinition } | { ok: false; error: string };

/**
 * Checks a proxy as Toxiproxy's API, a preset or the panel give it: `{name, listen, upstream,
 * enabled?, toxics?, framing?}`. `listen` may be a bare port (then on 127.0.0.1; nothing is exposed
 * unless asked); `upstream` may start with `tls://`.
 */
export function validateProxyDefinition(value: unknown, path = 'proxy'): ProxyValidation {
  const fail = (error: string): ProxyValidation => ({ ok: false, error });
  if (!isRecord(value)) return fail(`${path} must be an object with "name", "listen" and "upstream" (got ${describeValue(value)}).`);
  const nameProblem = checkName(value.name, `${path}.name`);
  if (nameProblem) return fail(nameProblem);
  const listenText = typeof value.listen === 'number' ? String(value.listen) : value.listen;
  if (typeof listenText !== 'string') return fail(`${path}.listen must be host:port such as 127.0.0.1:8080 (got ${describeValue(value.listen)}).`);
  const listen = parseHostPort(listenText, { allowZeroPort: true, defaultHost: '127.0.0.1' });
  if (!listen.ok) return fail(`${path}.listen: ${listen.message}`);
  if (typeof value.upstream !== 'string') return fail(`${path}.upstream must be host:port of the server, such as 127.0.0.1:9000 (got ${describeValue(value.upstream)}).`);
  const upstream = parseTarget(value.upstream);
  if (!upstream.ok) return fail(`${path}.upstream: ${upstream.message}`);
  if (value.enabled !== undefined && typeof value.enabled !== 'boolean') return fail(`${path}.enabled must be true or false (got ${describeValue(value.enabled)}).`);
  const toxicsValue = value.toxics ?? [];
  if (!Array.isArray(toxicsValue)) return fail(`${path}.toxics must be a list of toxics (got ${describeValue(toxicsValue)}).`);
  const toxics: ToxicDefinition[] = [];
  for (let i = 0; i < toxicsValue.length; i++) {
    const checked = validateToxic(toxicsValue[i], `${path}.toxics[${i}]`);
    if (!checked.ok) return checked;
    if (toxics.some((toxic) => toxic.name === checked.toxic.name)) {
      return fail(`${path}.toxics[${i}].name "${checked.toxic.name}" is already used by another toxic of this proxy; give each toxic its own name.`);
    }
    toxics.push(checked.toxic);
  }
  let framing: ProxyDefinition['framing'];
  if (value.framing !== undefined) {
    if (!isRecord(value.framing)) return fail(`${path}.framing must be an object with "upstream" and/or "downstream" framing (got ${describeValue(value.framing)}).`);
    framing = {};
    for (const key of Object.keys(value.framing)) {
      if (key !== 'upstream' && key !== 'downstream') return fail(`${path}.framing.${key} is not a stream; use "upstream" or "downstream".`);
      const checked = validateFraming(value.framing[key], `${path}.framing.${key}`);
      if (!checked.ok) return checked;
      framing[key] = value.framing[key] as FramingDefinition;
    }
  }
  return {
    ok: true,
    proxy: {
      name: value.name as string,
      listenHost: listen.host,
      listenPort: listen.port,
      upstreamHost: upstream.host,
      upstreamPort: upstream.port,
      upstreamTls: upstream.tls,
      enabled: value.enabled !== false,
      toxics,
      ...(framing ? { framing } : {}),
    },
  };
}

// ---- What the registry's infos carry for proxies (the tree and the panel read these) ----

/** `ListenerInfo.proxy`: this listener is a proxy's listening socket. */
export interface ProxyListenerInfo {
  name: string;
  /** As written, `host:port` or `tls://host:port`. */
  upstream: string;
  /** A disabled proxy has stopped listening (Toxiproxy's `enabled: false`); its definition stays. */
  enabled: boolean;
  toxics: ToxicDefinition[];
}

/** The upstream side of a pair: connecting, open, FIN received/sent, closed, or it never opened. */
export type UpstreamState = 'connecting' | 'open' | 'halfClosed' | 'closed' | 'failed';

/** `ConnectionInfo.proxy`: this accepted connection is a proxy pair's client side. */
export interface ProxyPairInfo {
  proxyName: string;
  /** As written, `host:port` or `tls://host:port`. */
  upstream: string;
  upstreamState: UpstreamState;
  upstreamLocal?: Endpoint;
  upstreamRemote?: Endpoint;
  /** Why the upstream side failed or closed abnormally: one sentence. */
  upstreamError?: string;
  /** Bytes written to the upstream server (after faults) and read from it (before faults). */
  bytesToUpstream: number;
  bytesFromUpstream: number;
  /** Toxics that apply to this pair (their toxicity draw said yes), by name, in chain order. */
  faultsApplied: string[];
}
