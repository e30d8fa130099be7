// `{{name}}` placeholders: file variables, environment variables and the dynamic `$` variables, for
// `.tcp` files, panel payloads and preset payloads alike (so no Node imports: the panel previews them).
// Resolution happens when a block runs or a payload is sent, so `{{$uuid}}` differs between runs but
// not between the parts of one payload that reference the same file variable.

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

export const DYNAMIC_VARIABLES = ['$counter', '$timestamp', '$datetime', '$randomInt', '$uuid'] as const;

const DATETIME_FORMATS = ['iso8601', 'rfc1123'] as const;

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
  /** The next `{{$counter}}` value; by default each scope object counts on its own from 1. */
  counter?: () => number;
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
    case '$counter':
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
    case '$datetime':
      if (p.args.length !== 1 || !(DATETIME_FORMATS as readonly string[]).includes(p.args[0])) {
        return `'{{$datetime}}' needs a format: write {{$datetime iso8601}} or {{$datetime rfc1123}}.`;
      }
      return undefined;
    default:
      return `Unknown dynamic variable '${p.name}': use ${DYNAMIC_VARIABLES.join(', ')}.`;
  }
}

export function isDefined(name: string, scope: Pick<VariableScope, 'file' | 'environment'>): boolean {
  return scope.file.has(name) || Object.prototype.hasOwnProperty.call(scope.environment, name);
}

/** Replace every placeholder; file variables may reference other variables (cycles are reported). */
export function resolveVariables(text: string, scope: VariableScope): Resolution {
  return resolveWithin(text, scope, [], once(() => nextCount(scope)));
}

/**
 * Only the `$` variables, for panel and preset payloads: they have no file or environment, so
 * `{{name}}` there stays as typed rather than failing as undefined.
 */
export function resolveDynamicVariables(text: string, scope: VariableScope): Resolution {
  const counter = once(() => nextCount(scope));
  let out = '';
  let last = 0;
  for (const p of findPlaceholders(text)) {
    if (!p.name.startsWith('$')) continue;
    const shape = placeholderShapeError(p);
    if (shape) return { ok: false, error: shape };
    const value = dynamicValue(p, scope, counter);
    if (!value.ok) return value;
    out += text.slice(last, p.start) + value.value;
    last = p.end;
  }
  return { ok: true, value: out + text.slice(last) };
}

/** Counts per scope object, so a panel's scope counts its sends and each `.tcp` block run its own. */
const counts = new WeakMap<VariableScope, number>();

function nextCount(scope: VariableScope): number {
  if (scope.counter) return scope.counter();
  const next = (counts.get(scope) ?? 0) + 1;
  counts.set(scope, next);
  return next;
}

function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

/** Every `{{$counter}}` in one payload is the same number; the next payload gets the next one. */
function resolveWithin(text: string, scope: VariableScope, chain: string[], counter: () => number): Resolution {
  let out = '';
  let last = 0;
  for (const p of findPlaceholders(text)) {
    out += text.slice(last, p.start);
    last = p.end;
    const shape = placeholderShapeError(p);
    if (shape) return { ok: false, error: shape };
    const value = p.name.startsWith('$') ? dynamicValue(p, scope, counter) : namedValue(p.name, scope, chain, counter);
    if (!value.ok) return value;
    out += value.value;
  }
  return { ok: true, value: out + text.slice(last) };
}

function namedValue(name: string, scope: VariableScope, chain: string[], counter: () => number): Resolution {
  if (chain.includes(name)) {
    return { ok: false, error: `Variable '${name}' refers to itself through ${[...chain, name].join(' → ')}: break the cycle.` };
  }
  const fileVar = scope.file.get(name);
  if (fileVar) return resolveWithin(fileVar.value, scope, [...chain, name], counter);
  if (Object.prototype.hasOwnProperty.call(scope.environment, name)) {
    return resolveWithin(scope.environment[name], scope, [...chain, name], counter);
  }
  return { ok: false, error: `Variable '${name}' is not defined: add '@${name} = …' to the file or to the selected environment.` };
}

function dynamicValue(p: Placeholder, scope: VariableScope, counter: () => number): Resolution {
  switch (p.name) {
    case '$counter':
      return { ok: true, value: String(counter()) };
    case '$timestamp':
      return { ok: true, value: String(Math.floor((scope.now ?? Date.now)() / 1000)) };
    case '$datetime': {
      const date = new Date((scope.now ?? Date.now)());
      return { ok: true, value: p.args[0] === 'rfc1123' ? date.toUTCString() : date.toISOString() };
    }
    case '$uuid':
      return { ok: true, value: (scope.uuid ?? randomUuid)() };
    default: {
      const lo = Number(p.args[0]);
      const hi = Number(p.args[1]);
      const r = (scope.random ?? Math.random)();
      return { ok: true, value: String(lo + Math.floor(r * (hi - lo))) };
    }
  }
}

/** A version 4 UUID from the platform's random source (Web Crypto exists in Node and in the webview). */
function randomUuid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
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
