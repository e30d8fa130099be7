// Validation of the `tcpLab.presets` setting. Settings are hand-edited JSON, so every entry is checked
// on its own: a broken one yields exactly one sentence naming the preset and the field, and is
// skipped, while the valid ones keep working.
import { validateChecksum } from '../shared/checksum';
import { validateTlsOptions } from '../shared/tls';
import { parsePayload } from '../shared/parsePayload';
import { validatePayloadRepeat, validateSequence } from '../shared/quickSend';
import { findPlaceholders } from '../shared/variables';
import { validatePresetBehaviour } from '../shared/presetBehaviour';
import type { Preset, PresetPayload } from '../shared/preset';
import { LINE_ENDINGS, PAYLOAD_FORMATS, TEXT_ENCODINGS } from '../shared/payloadTypes';
import { validateHostText } from '../shared/hostPort';
import { describeValue, isRecord } from '../shared/describeValue';
import { parseTarget } from '../shared/hostPort';
import { checkName, validateToxic, type ToxicDefinition } from '../shared/toxics';

export const PRESETS_SETTING = 'tcpLab.presets';

export interface PresetProblem {
  /** Position of the entry in the setting's array. */
  index: number;
  /** The preset's name when it has a usable one. */
  presetName?: string;
  /** The offending field, e.g. `port` or `payloads[1].format`. */
  field: string;
  message: string;
}

export interface PresetValidation {
  presets: Preset[];
  problems: PresetProblem[];
}

/** Checks a payload's data beyond its shape (e.g. that hex parses); returns a problem or undefined. */
export type PayloadDataCheck = (payload: PresetPayload, preset: Preset) => string | undefined;

const KINDS = ['listener', 'client', 'proxy'] as const;

/** A payload that does not parse would only fail at send time; the settings reader catches it early. */
export const checkPayloadParses: PayloadDataCheck = (payload, preset) => {
  // Dynamic variables are only known at send time; the bytes around them are checked then.
  if (findPlaceholders(payload.data).some((p) => p.name.startsWith('$'))) return undefined;
  const result = parsePayload(payload.data, {
    format: payload.format,
    encoding: preset.encoding ?? 'utf-8',
    // A line ending cannot make data invalid; only the data itself is checked.
    lineEnding: 'none',
  });
  return result.ok ? undefined : result.error.message;
};

export function validatePresets(raw: unknown, checkPayloadData?: PayloadDataCheck): PresetValidation {
  if (raw === undefined || raw === null) return { presets: [], problems: [] };
  if (!Array.isArray(raw)) {
    return {
      presets: [],
      problems: [{ index: -1, field: PRESETS_SETTING, message: `The ${PRESETS_SETTING} setting must be a list of presets; replace it with [] or a list of objects.` }],
    };
  }

  const presets: Preset[] = [];
  const problems: PresetProblem[] = [];
  const seenNames = new Set<string>();
  raw.forEach((entry: unknown, index) => {
    const result = validateEntry(entry, index, checkPayloadData);
    if ('problem' in result) {
      problems.push(result.problem);
    } else if (seenNames.has(result.preset.name)) {
      problems.push({
        index,
        presetName: result.preset.name,
        field: 'name',
        message: `Preset "${result.preset.name}" appears more than once in ${PRESETS_SETTING}; give entry ${index + 1} a different name (the first one is used).`,
      });
    } else {
      seenNames.add(result.preset.name);
      presets.push(result.preset);
    }
  });
  return { presets, problems };
}

function validateEntry(entry: unknown, index: number, checkPayloadData?: PayloadDataCheck): { preset: Preset } | { problem: PresetProblem } {
  const position = `Entry ${index + 1} of ${PRESETS_SETTING}`;
  if (!isRecord(entry)) {
    return { problem: { index, field: '(entry)', message: `${position} is not an object; each preset needs a name, kind, host and port.` } };
  }
  const { name } = entry;
  if (typeof name !== 'string' || name.trim() === '') {
    return { problem: { index, field: 'name', message: `${position} has no "name"; give the preset a non-empty name.` } };
  }

  const problem = (field: string, what: string): { problem: PresetProblem } => ({
    problem: { index, presetName: name, field, message: `Preset "${name}": "${field}" ${what}.` },
  });

  const { kind } = entry;
  if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) {
    return problem('kind', `must be "listener", "client" or "proxy", but is ${describeValue(kind, 'missing')}`);
  }

  if (typeof entry.host !== 'string') return problem('host', `must be a host name or IP address string, but is ${describeValue(entry.host, 'missing')}`);
  // Accept the bracketed IPv6 form people copy from `[::1]:9000`.
  const host = entry.host.trim().replace(/^\[(.*)\]$/, '$1');
  const hostProblem = validateHostText(host);
  if (hostProblem) return problem('host', `is not usable: ${lowerFirst(hostProblem.replace(/\.$/, ''))}`);

  const lowestPort = kind === 'client' ? 1 : 0;
  const { port } = entry;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < lowestPort || port > 65535) {
    const zeroHint = kind === 'client' ? '' : ' (0 picks any free port)';
    return problem('port', `must be a whole number from ${lowestPort} to 65535${zeroHint}, but is ${describeValue(port, 'missing')}`);
  }

  const { encoding, lineEnding } = entry;
  if (encoding !== undefined && !(TEXT_ENCODINGS as readonly unknown[]).includes(encoding)) {
    return problem('encoding', `must be one of ${TEXT_ENCODINGS.join(', ')}, but is ${describeValue(encoding, 'missing')}`);
  }
  if (lineEnding !== undefined && !(LINE_ENDINGS as readonly unknown[]).includes(lineEnding)) {
    return problem('lineEnding', `must be one of ${LINE_ENDINGS.join(', ')}, but is ${describeValue(lineEnding, 'missing')}`);
  }

  const preset: Preset = { ...entry, name, kind: kind as Preset['kind'], host, port };

  const { payloads } = entry;
  if (payloads !== undefined) {
    if (!Array.isArray(payloads)) return problem('payloads', `must be a list of { name, format, data } objects, but is ${describeValue(payloads, 'missing')}`);
    const checked: PresetPayload[] = [];
    for (const [i, payload] of payloads.entries()) {
      const field = `payloads[${i}]`;
      if (!isRecord(payload)) return problem(field, `must be an object with name, format and data, but is ${describeValue(payload, 'missing')}`);
      if (typeof payload.name !== 'string' || payload.name.trim() === '') return problem(`${field}.name`, 'must be a non-empty string');
      if (typeof payload.format !== 'string' || !(PAYLOAD_FORMATS as readonly string[]).includes(payload.format)) {
        return problem(`${field}.format`, `must be one of ${PAYLOAD_FORMATS.join(', ')}, but is ${describeValue(payload.format, 'missing')}`);
      }
      if (typeof payload.data !== 'string') return problem(`${field}.data`, `must be a string, but is ${describeValue(payload.data, 'missing')}`);
      const candidate: PresetPayload = { ...payload, name: payload.name, format: payload.format as PresetPayload['format'], data: payload.data };
      const dataProblem = checkPayloadData?.(candidate, preset);
      if (dataProblem) return problem(`${field}.data`, `does not parse: ${lowerFirst(dataProblem.replace(/\.$/, ''))}`);
      checked.push(candidate);
    }
    const names = checked.map((p) => p.name);
    for (const [i, payload] of checked.entries()) {
      const extra = payloadExtrasProblem(payload, `Preset "${name}": payloads[${i}]`, names);
      if (extra) return { problem: { index, presetName: name, field: extra.field.replace(/^.*?: /, ''), message: extra.message } };
    }
    preset.payloads = checked;
  }

  if (kind === 'proxy') {
    const proxyProblem = validateProxyFields(entry, preset, name, index);
    if (proxyProblem) return proxyProblem;
  } else {
    for (const field of ['upstream', 'faults'] as const) {
      if (entry[field] !== undefined) return problem(field, `only applies to proxy presets; set "kind" to "proxy" or remove it`);
    }
  }

  // TLS options have one validator, shared with .tcp files; the passphrase itself is never a field.
  if (entry.tls !== undefined) {
    // A proxy preset's `tls` is its listening side: clients speak TLS to it, as to a listener.
    const tls = validateTlsOptions(entry.tls, kind === 'client' ? 'client' : 'listener', `Preset "${name}" tls`);
    if (!tls.ok) return { problem: { index, presetName: name, field: 'tls', message: tls.message } };
    preset.tls = tls.options;
  }

  // Mock-server behaviour (framing, echo, rules) has its own validator, shared with the engine.
  const behaviourPath = `Preset "${name}"`;
  const behaviour = validatePresetBehaviour(preset, behaviourPath);
  if (!behaviour.ok) {
    const field = behaviour.error.startsWith(`${behaviourPath}.`) ? /^[\w]+(\[\d+\])?(\.\w+)*/.exec(behaviour.error.slice(behaviourPath.length + 1))?.[0] : undefined;
    return { problem: { index, presetName: name, field: field ?? 'kind', message: behaviour.error } };
  }
  return { preset };
}

/**
 * A proxy preset's own fields: `upstream` (host:port, or tls://host:port), `faults` (toxics, with Toxiproxy's defaults
 * filled in: stream downstream, toxicity 1, name `<type>_<stream>`). Echo and rules are refused; `tls`
 * terminates TLS as a listener's does (checked below with the listeners').
 */
function validateProxyFields(entry: Record<string, unknown>, preset: Preset, name: string, index: number): { problem: PresetProblem } | undefined {
  const problem = (field: string, message: string): { problem: PresetProblem } => ({ problem: { index, presetName: name, field, message } });
  const what = (field: string, text: string): { problem: PresetProblem } => problem(field, `Preset "${name}": "${field}" ${text}.`);
  // The preset's name is the proxy's, which the HTTP API uses as a path segment.
  const nameProblem = checkName(name, `Preset "${name}" name`);
  if (nameProblem) return problem('name', `${nameProblem.replace(/\.$/, '')} (a proxy preset's name is its proxy's name in the HTTP API).`);
  const { upstream } = entry;
  if (typeof upstream !== 'string') return what('upstream', `must be the server to relay to, as host:port such as 127.0.0.1:6379, but is ${describeValue(upstream, 'missing')}`);
  const target = parseTarget(upstream);
  if (!target.ok) return what('upstream', `is not usable: ${lowerFirst(target.message.replace(/\.$/, ''))}`);
  for (const field of ['echo', 'rules'] as const) {
    if (entry[field] !== undefined) return what(field, `does not apply to proxy presets (a proxy relays; it does not answer by itself); remove it, or use a listener preset`);
  }
  const { faults } = entry;
  if (faults === undefined) return undefined;
  if (!Array.isArray(faults)) return what('faults', `must be a list of faults such as { "type": "latency", "attributes": { "latency": 200 } }, but is ${describeValue(faults)}`);
  const checked: ToxicDefinition[] = [];
  for (const [i, fault] of faults.entries()) {
    // The toxics' own check, shared with the HTTP API and the panel, fills in Toxiproxy's defaults.
    const path = `Preset "${name}".faults[${i}]`;
    const toxic = validateToxic(fault, path);
    if (!toxic.ok) return problem(/^[\w]+(\[\d+\])?(\.\w+)*/.exec(toxic.error.slice(`Preset "${name}".`.length))?.[0] ?? `faults[${i}]`, toxic.error);
    if (checked.some((t) => t.name === toxic.toxic.name)) {
      return what(`faults[${i}].name`, `is ${JSON.stringify(toxic.toxic.name)}, like an earlier fault (a fault without a name is called <type>_<stream>); give each fault its own "name"`);
    }
    checked.push(toxic.toxic);
  }
  preset.faults = checked;
  return undefined;
}

/** The quick-send fields of one payload: checksum, repeat, sequence. */
function payloadExtrasProblem(payload: PresetPayload, path: string, names: readonly string[]): { field: string; message: string } | undefined {
  if (payload.checksum !== undefined) {
    const checked = validateChecksum(payload.checksum, `${path}.checksum`);
    if (!checked.ok) return { field: `${path}.checksum`, message: checked.error };
  }
  if (payload.repeat !== undefined) {
    const checked = validatePayloadRepeat(payload.repeat, `${path}.repeat`);
    if (!checked.ok) return { field: `${path}.repeat`, message: checked.error };
  }
  if (payload.sequence !== undefined) {
    if (payload.repeat !== undefined) return { field: `${path}.repeat`, message: `${path} has both "repeat" and "sequence"; a button does one of them, so keep one.` };
    // A step sends another payload's data and checksum, never its sequence, so sequences cannot nest or loop.
    const checked = validateSequence(payload.sequence, `${path}.sequence`, names);
    if (!checked.ok) return { field: `${path}.sequence`, message: checked.error };
  } else if (payload.data === '') {
    return { field: `${path}.data`, message: `${path}.data is empty; write the bytes to send, or add a "sequence".` };
  }
  return undefined;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
