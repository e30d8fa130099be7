// The shape of one entry of the `tcpLab.presets` setting. The JSON schema in package.json mirrors it;
// validation lives beside the host's configuration module.
import type { ChecksumDefinition } from './checksum';
import type { FramingDefinition } from './framing';
import type { LineEnding, PayloadFormat, TextEncodingName } from './payloadTypes';
import type { SequenceStepDefinition } from './quickSend';
import type { RuleDefinition } from './ruleDefinition';
import type { TlsOptions } from './tls';
import type { ToxicDefinition } from './toxics';

/** A named payload saved in a preset, sent from the tree, the panel's quick-send bar or a command. */
export interface PresetPayload {
  name: string;
  format: PayloadFormat;
  /** May hold `{{$counter}}` and the other dynamic variables. */
  data: string;
  /** Appended to the data (before the line ending). */
  checksum?: ChecksumDefinition | string;
  /** The quick-send button repeats the payload. */
  repeat?: { intervalMs: number; count?: number };
  /** The quick-send button runs these steps after sending the data (if any). */
  sequence?: SequenceStepDefinition[];
}

export interface Preset {
  name: string;
  /** A proxy preset listens on host:port and relays each client to `upstream`. */
  kind: 'listener' | 'client' | 'proxy';
  host: string;
  port: number;
  encoding?: TextEncodingName;
  lineEnding?: LineEnding;
  payloads?: PresetPayload[];
  /** How received bytes are cut into frames (panel rows, rule matching). */
  framing?: FramingDefinition;
  /** Listener presets: send back every frame no rule answered. */
  echo?: boolean;
  /** Listener presets: auto-reply rules, tried in order. */
  rules?: RuleDefinition[];
  /** Proxy presets: where each accepted client is relayed, as host:port. */
  upstream?: string;
  /** Proxy presets: the faults (Toxiproxy's toxics) in place from the start, with their defaults filled in. */
  faults?: ToxicDefinition[];
  /** Speak TLS (client) or serve TLS (listener); file paths are relative to the workspace folder. */
  tls?: TlsOptions;
  /** Room for later fields; validation keeps what it knows. */
  [extension: string]: unknown;
}
