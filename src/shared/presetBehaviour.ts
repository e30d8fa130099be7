// Validation of the mock-server fields of a preset (`framing`, `echo`, `rules`), the counterpart of
// presetSchemaFragment.json. The JSON schema only guides editing in settings.json; this check is what
// decides, with one sentence naming the field, because settings can be written by hand or by other tools.
import { validateFraming, type ResolvedFraming } from './framing';
import { validateRules, type CheckedRule } from './ruleDefinition';

export interface PresetBehaviour {
  framing: ResolvedFraming;
  echo: boolean;
  rules: CheckedRule[];
}

export type PresetBehaviourValidation = { ok: true; behaviour: PresetBehaviour } | { ok: false; error: string };

/**
 * Checks `framing`, `echo` and `rules` of one preset; `path` names it in messages, e.g.
 * `tcpLab.presets[1]`. Echo and rules answer peers, so they belong to listener presets only;
 * framing also serves client presets (how the panel groups received bytes).
 */
export function validatePresetBehaviour(preset: unknown, path = 'preset'): PresetBehaviourValidation {
  if (typeof preset !== 'object' || preset === null || Array.isArray(preset)) {
    return { ok: false, error: `${path} must be an object.` };
  }
  const fields = preset as Record<string, unknown>;
  const framing = validateFraming(fields.framing, `${path}.framing`);
  if (!framing.ok) return framing;
  if (fields.echo !== undefined && typeof fields.echo !== 'boolean') {
    return { ok: false, error: `${path}.echo must be true or false (got ${typeof fields.echo === 'string' ? JSON.stringify(fields.echo) : String(fields.echo)}).` };
  }
  const rules = validateRules(fields.rules, `${path}.rules`);
  if (!rules.ok) return rules;
  if (fields.kind === 'client' && (fields.echo === true || rules.rules.length > 0)) {
    return { ok: false, error: `${path} is a client preset, but echo and rules only apply to listener presets; move them to a listener preset or remove them.` };
  }
  return { ok: true, behaviour: { framing: framing.framing, echo: fields.echo === true, rules: rules.rules } };
}
