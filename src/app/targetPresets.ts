// Which preset a traffic panel's "Save as preset" and "Save into preset" write to: the one for the
// panel's listener (by host and port) or outgoing connection (by its server), or a new one named
// after it. Plain data in and out; writing goes through the one settings owner (host/config.ts).
import type { Preset, PresetPayload } from '../shared/preset';
import { formatHostPort } from '../shared/hostPort';
import type { LineEnding, TextEncodingName } from '../shared/payloadTypes';
import type { BehaviourInfo, QuickSendInfo, TargetInfo } from '../shared/protocol';
import type { PresetEntry } from './treeModel';

export interface TargetPresetBase {
  kind: Preset['kind'];
  host: string;
  port: number;
}

/** What a preset of this target has to say: a listener's host and port, or the connection's server. */
export function targetPresetBase(target: TargetInfo): TargetPresetBase {
  if (target.kind === 'listener') return { kind: 'listener', host: target.host, port: target.local?.port ?? target.requestedPort };
  return { kind: 'client', host: target.remote?.address ?? '127.0.0.1', port: target.remote?.port ?? 0 };
}

/** The existing preset for the target, or a new one named after it (not saved yet). */
export function presetForTarget(entries: readonly PresetEntry[], target: TargetInfo): { preset: Preset; existing: boolean } {
  const base = targetPresetBase(target);
  const found = entries.find(({ preset }) => preset.kind === base.kind && preset.host === base.host && preset.port === base.port);
  if (found) return { preset: { ...found.preset }, existing: true };
  return { preset: { name: `${base.kind === 'listener' ? 'Listener' : 'Client'} ${formatHostPort(base.host, base.port)}`, ...base }, existing: false };
}

/** The preset with the panel's framing (and a listener's echo and rules) written into it. */
export function withBehaviour(preset: Preset, behaviour: BehaviourInfo): Preset {
  // The panel's definition was checked by the shared validator before it got here.
  const next = { ...preset, framing: behaviour.framing } as unknown as Preset;
  if (preset.kind === 'listener') Object.assign(next, { echo: behaviour.echo, rules: behaviour.rules });
  return next;
}

/** The preset with one more payload at the end. */
export function withPayload(preset: Preset, payload: PresetPayload): Preset {
  return { ...preset, payloads: [...(preset.payloads ?? []), payload] };
}

/**
 * The quick-send bar of a panel: the payloads of the preset matching its target. A restricted
 * preset (a workspace one in Restricted Mode) shows none: its bytes were not chosen by the user.
 */
export function quickSendFor(
  entries: readonly PresetEntry[],
  target: TargetInfo | undefined,
  defaults: { encoding: TextEncodingName; lineEnding: LineEnding },
): QuickSendInfo | undefined {
  if (!target) return undefined;
  const base = targetPresetBase(target);
  const found = entries.find(({ preset }) => preset.kind === base.kind && preset.host === base.host && preset.port === base.port);
  const payloads = found?.preset.payloads;
  if (!found || found.restricted || !payloads?.length) return undefined;
  const { preset } = found;
  return { preset: preset.name, encoding: preset.encoding ?? defaults.encoding, lineEnding: preset.lineEnding ?? defaults.lineEnding, payloads };
}
