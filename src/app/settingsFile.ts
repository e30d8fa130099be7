// Reads `tcpLab.presets` and `tcpLab.environments` from a VS Code settings file, so the CLI runs a
// `.tcp` file with the same presets and environments as the editor. Settings files are JSON with
// comments and trailing commas, read by the same JSONC reader as the extension's.
import type { Preset } from '../shared/preset';
import { isRecord } from '../shared/describeValue';
import { parseJsonc } from './jsonc';

export type Environments = Record<string, Record<string, string>>;

export interface TcpLabSettings {
  presets: Preset[];
  environments: Environments;
}

/** Parse settings text; throws an Error with one sentence naming the file when it is not valid JSON. */
export function parseTcpLabSettings(text: string, fileName: string): TcpLabSettings {
  let root: unknown;
  try {
    root = parseJsonc(text);
  } catch (err) {
    throw new Error(`Cannot read ${fileName}: ${err instanceof Error ? err.message : String(err)}. Fix the JSON or pass --settings.`);
  }
  if (!isRecord(root)) return { presets: [], environments: {} };
  const presets = Array.isArray(root['tcpLab.presets'])
    ? (root['tcpLab.presets'] as unknown[]).filter(
        (p): p is Preset => isRecord(p) && typeof p.name === 'string' && (p.kind === 'listener' || p.kind === 'client') && typeof p.host === 'string' && typeof p.port === 'number',
      )
    : [];
  const environments: Environments = {};
  const rawEnvs = root['tcpLab.environments'];
  if (isRecord(rawEnvs)) {
    for (const [name, vars] of Object.entries(rawEnvs)) {
      if (!isRecord(vars)) continue;
      environments[name] = {};
      for (const [key, value] of Object.entries(vars)) {
        if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') environments[name][key] = String(value);
      }
    }
  }
  return { presets, environments };
}
