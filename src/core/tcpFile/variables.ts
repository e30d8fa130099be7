// `{{name}}` placeholders: file variables, environment variables and the dynamic `$` variables.
// Resolution happens when a block runs, so `{{$uuid}}` differs between runs but not between the
// parts of one payload that reference the same file variable.
import { randomUUID } from 'node:crypto';

/** One `{{…}}` occurrence in a string. */
export interface Placeholder {
  /** Offsets of `{{` and just past `}}` in the string. */
  start: number;
  end: number;
  /** `host`, `$randomInt`, …; offset of the name inside the string. */
  name: string;
  nameStart: number;
  args: string[];
}

const PLACEHOLDER = /\{\{\s*([^\s{}]*)((?:\s+[^\s{}]+)*)\s*\}\}/g;

export function findPlaceholders(text: string): Placeholder[] {
  const found: Placeholder[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) {
    const start = m.index ?? 0;
    const name = m[1];
    found.push({
      start,
      end: start + m[0].length,
      name,
      nameStart: start + m[0].indexOf(name, 2),
      args: m[2].trim() === '' ? [] : m[2].trim().split(/\s+/),
    });
  }
  return found;
}

/** Where names are looked up, highest priority first: the file's `@name = value`, then the environment. */
export interface VariableScope {
  file: ReadonlyMap<string, { value: string }>;
  environment: Readonly<Record<string, string>>;
  /** Injected so tests can pin dynamic values; defaults to the real clock and randomness. */
  now?: () => number;
  random?: () => number;
  uuid?: () => string;
}

export type Resolution = { ok: true; value: string } | { ok: false; error: string };

/**
 * Check a placeholder's shape without resolving it. Returns one sentence on error, `undefined` if it
 * is well formed (an unknown plain name is not a shape error: see `isDefined`).
 */
export function placeholderShapeError(p: Placeholder): string | undefined {
  if (p.name === '') return 'Empty placeholder {{}}: write a variable name such as {{host}}.';
  if (!p.name.startsWith('$')) {
    if (!/^[A-Za-z_][\w.-]*$/.test(p.name)) return `Invalid variable name '${p.name}': use letters, digits, '_', '-' or '.'.`;
    if (p.args.length > 0) return `Variable '{{${p.name}}}' takes no arguments: remove '${p.args.join(' ')}'.`;
    return undefined;
  }
  switch (p.name) {
    case '$timestamp':
    case '$uuid':
      return p.args.length > 0 ? `'{{${p.name}}}' takes no arguments: remove '${p.args.join(' ')}'.` : undefined;
    case '$randomInt': {
      const [lo, hi] = p.args;
      if (p.args.length !== 2 || !/^-?\d+$/.test(lo) || !/^-?\d+$/.test(hi)) {
        return `'{{$randomInt}}' needs two integers: write {{$randomInt min max}}.`;
      }
      if (Number(lo) >= Number(hi)) return `'{{$randomInt ${lo} ${hi}}}' needs min below max: the result is min ≤ n < max.`;
      return undefined;
    }
    default:
      return `Unknown dynamic variable '${p.name}': use $timestamp, $randomInt or $uuid.`;
  }
}

export function isDefined(name: string, scope: Pick<VariableScope, 'file' | 'environment'>): boolean {
  return scope.file.has(name) || Object.prototype.hasOwnProperty.call(scope.environment, name);
}

/** Replace every placeholder; file variables may reference other variables (cycles are reported). */
export function resolveVariables(text: string, scope: VariableScope): Resolution {
  return resolveWithin(text, scope, []);
}

function resolveWithin(text: string, scope: VariableScope, chain: string[]): Resolution {
  let out = '';
  let last = 0;
  for (const p of findPlaceholders(text)) {
    out += text.slice(last, p.start);
    last = p.end;
    const shape = placeholderShapeError(p);
    if (shape) return { ok: false, error: shape };
    const value = p.name.startsWith('$') ? dynamicValue(p, scope) : namedValue(p.name, scope, chain);
    if (!value.ok) return value;
    out += value.value;
  }
  return { ok: true, value: out + text.slice(last) };
}

function namedValue(name: string, scope: VariableScope, chain: string[]): Resolution {
  if (chain.includes(name)) {
    return { ok: false, error: `Variable '${name}' refers to itself through ${[...chain, name].join(' → ')}: break the cycle.` };
  }
  const fileVar = scope.file.get(name);
  if (fileVar) return resolveWithin(fileVar.value, scope, [...chain, name]);
  if (Object.prototype.hasOwnProperty.call(scope.environment, name)) {
    return resolveWithin(scope.environment[name], scope, [...chain, name]);
  }
  return { ok: false, error: `Variable '${name}' is not defined: add '@${name} = …' to the file or to the selected environment.` };
}

function dynamicValue(p: Placeholder, scope: VariableScope): Resolution {
  switch (p.name) {
    case '$timestamp':
      return { ok: true, value: String(Math.floor((scope.now ?? Date.now)() / 1000)) };
    case '$uuid':
      return { ok: true, value: (scope.uuid ?? randomUUID)() };
    default: {
      const lo = Number(p.args[0]);
      const hi = Number(p.args[1]);
      const r = (scope.random ?? Math.random)();
      return { ok: true, value: String(lo + Math.floor(r * (hi - lo))) };
    }
  }
}

/**
 * The variables of one environment from the `tcpLab.environments` setting, over the `$shared` ones
 * (REST Client's convention), so common values are written once.
 */
export function environmentVariables(
  environments: Readonly<Record<string, Readonly<Record<string, string>>>> | undefined,
  selected: string | undefined,
): Record<string, string> {
  const shared = environments?.['$shared'] ?? {};
  const chosen = selected && selected !== '$shared' ? environments?.[selected] ?? {} : {};
  return { ...stringValues(shared), ...stringValues(chosen) };
}

function stringValues(map: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(map)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[key] = String(value);
  }
  return out;
}
