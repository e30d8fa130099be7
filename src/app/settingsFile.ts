// Reads `tcpLab.presets` and `tcpLab.environments` from a VS Code settings file, so the CLI runs a
// `.tcp` file with the same presets and environments as the editor. Settings files are JSON with
// comments and trailing commas, read by the same JSONC reader as the extension's; presets go through
// the same validator as the editor's and environments through the same reader (`readEnvironments`).
import type { Preset } from '../shared/preset';
import { isRecord } from '../shared/describeValue';
import { errorMessage } from '../shared/errorMessage';
import { parseJsonc } from './jsonc';
import { checkPayloadParses, validatePresets } from './presetValidation';

export type Environments = Record<string, Record<string, string>>;

export interface TcpLabSettings {
  presets: Preset[];
  environments: Environments;
  /** One sentence per preset entry that was skipped, as the editor reports them. */
  problems: string[];
}

/** Parse settings text; throws an Error with one sentence naming the file when it is not valid JSON. */
export function parseTcpLabSettings(text: string, fileName: string): TcpLabSettings {
  let root: unknown;
  try {
    root = parseJsonc(text);
  } catch (err) {
    throw new Error(`Cannot read ${fileName}: ${errorMessage(err)}. Fix the JSON or pass --settings.`);
  }
  if (!isRecord(root)) return { presets: [], environments: {}, problems: [] };
  const { presets, problems } = validatePresets(root['tcpLab.presets'], checkPayloadParses);
  return { presets, environments: readEnvironments(root['tcpLab.environments']), problems: problems.map((p) => p.message) };
}

/**
 * The value of `tcpLab.environments` as `.tcp` variables: objects of objects, each value a string,
 * number or boolean as the settings schema allows (kept as its text); anything else is left out.
 */
export function readEnvironments(raw: unknown): Environments {
  const environments: Environments = {};
  if (!isRecord(raw)) return environments;
  for (const [name, vars] of Object.entries(raw)) {
    if (!isRecord(vars)) continue;
    environments[name] = {};
    for (const [key, value] of Object.entries(vars)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') environments[name][key] = String(value);
    }
  }
  return environments;
}
