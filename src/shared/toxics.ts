// Proxy faults ("toxics") as plain JSON, shaped as Toxiproxy shapes them so its users, its HTTP API
// clients and its JSON files carry over unchanged: { name, type, stream, toxicity, attributes }.
// TCP Lab adds a `seed` (reproducible randomness) and `when` (apply only to frames whose content
// matches, with the auto-reply rules' matchers), and three content actions Toxiproxy lacks.
// Browser-safe: the panel, presets, the HTTP API and the engine share these definitions.
// (Types first; validation lives here too, so every entry point words a bad toxic the same way.)
import type { FramingDefinition } from './framing';
import type { RuleMatchKind } from './ruleDefinition';

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
