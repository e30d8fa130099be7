// A preset payload's bytes outside the panel (the tree's inline Send, commands): the same
// buildPayload the panel uses, with the preset's checksum, encoding and line ending, and the
// dynamic variables resolved now.
import { validateChecksum } from '../shared/checksum';
import type { LineEnding, TextEncodingName } from '../shared/payloadTypes';
import { buildPayload, type PayloadBuild } from '../shared/payloadBytes';
import type { Preset, PresetPayload } from '../shared/preset';
import type { VariableScope } from '../shared/variables';

/** `scope` carries the `{{$counter}}` of whoever sends (one per caller, so each counts its own sends). */
export function presetPayloadBytes(
  payload: PresetPayload,
  preset: Preset,
  defaults: { encoding: TextEncodingName; lineEnding: LineEnding },
  scope: VariableScope,
): PayloadBuild {
  let checksum;
  if (payload.checksum !== undefined) {
    const checked = validateChecksum(payload.checksum, 'checksum');
    if (!checked.ok) return { ok: false, error: checked.error };
    checksum = checked.checksum;
  }
  // As before checksums: a preset's line ending applies to text payloads only.
  const lineEnding = payload.format === 'text' ? preset.lineEnding ?? defaults.lineEnding : 'none';
  return buildPayload({ format: payload.format, data: payload.data, checksum }, { encoding: preset.encoding ?? defaults.encoding, lineEnding }, scope);
}
