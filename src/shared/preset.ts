// The shape of one entry of the `tcpLab.presets` setting. The JSON schema in package.json mirrors it;
// validation lives beside the host's configuration module.
import type { LineEnding, PayloadFormat, TextEncodingName } from './payloadTypes';

/** A named payload saved in a preset, sent from the tree, the panel or a command. */
export interface PresetPayload {
  name: string;
  format: PayloadFormat;
  data: string;
}

export interface Preset {
  name: string;
  kind: 'listener' | 'client';
  host: string;
  port: number;
  encoding?: TextEncodingName;
  lineEnding?: LineEnding;
  payloads?: PresetPayload[];
  /** Receive-side framing and listener behaviours (echo, auto-reply rules) join here later. */
  [extension: string]: unknown;
}
