// Reads `tcpLab.presets` and `tcpLab.environments` from a VS Code settings file, so the CLI runs a
// `.tcp` file with the same presets and environments as the editor. Settings files are JSON with
// comments and trailing commas, which JSON.parse rejects; strip those first.
import type { Preset } from '../../shared/preset';
import { isRecord } from '../../shared/describeValue';

export type Environments = Record<string, Record<string, string>>;

export interface TcpLabSettings {
  presets: Preset[];
  environments: Environments;
}

/** Remove `//` and block comments and trailing commas outside strings. */
export function stripJsonComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const start = i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      out += text.slice(start, ++i);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else {
      out += c;
      i++;
    }
  }
  return out.replace(/,(\s*[}\]])/g, '$1');
}


/** Parse settings text; throws an Error with one sentence naming the file when it is not valid JSON. */
export function parseTcpLabSettings(text: string, fileName: string): TcpLabSettings {
  let root: unknown;
  try {
    root = JSON.parse(stripJsonComments(text));
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
