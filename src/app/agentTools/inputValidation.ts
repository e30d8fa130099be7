// Checks a tool's input against the JSON schema its package.json entry declares (the one copy of
// each schema), so a model that sends a wrong type, an unknown key or a port out of range gets one
// sentence naming the input, before anything opens. Only the schema keywords the tools use are known.

/** The subset of JSON Schema the tool schemas use. */
export interface ToolSchema {
  type?: 'object' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, ToolSchema>;
  required?: string[];
  additionalProperties?: boolean | ToolSchema;
  enum?: readonly (string | number)[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
}

export type InputCheck = { ok: true; input: Record<string, unknown> } | { ok: false; error: string };

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function checkValue(value: unknown, schema: ToolSchema, path: string): string | undefined {
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return `${path} must be text, not ${describe(value)}.`;
      if (schema.minLength !== undefined && value.length < schema.minLength) return `${path} must not be empty.`;
      if (schema.maxLength !== undefined && value.length > schema.maxLength) return `${path} is ${value.length} characters long; the limit is ${schema.maxLength}.`;
      break;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${path} must be a number, not ${describe(value)}.`;
      if (schema.type === 'integer' && !Number.isInteger(value)) return `${path} must be a whole number, not ${value}.`;
      if (schema.minimum !== undefined && value < schema.minimum) return `${path} must be at least ${schema.minimum}, not ${value}.`;
      if (schema.maximum !== undefined && value > schema.maximum) return `${path} must be at most ${schema.maximum}, not ${value}.`;
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return `${path} must be true or false, not ${describe(value)}.`;
      break;
    case 'object':
      return checkObject(value, schema, path);
    default:
      break;
  }
  if (schema.enum && !schema.enum.includes(value as string | number)) {
    return `${path} must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}, not ${describe(value)}.`;
  }
  return undefined;
}

function checkObject(value: unknown, schema: ToolSchema, path: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${path === 'input' ? 'The input' : path} must be an object, not ${describe(value)}.`;
  const record = value as Record<string, unknown>;
  const properties = schema.properties ?? {};
  for (const key of schema.required ?? []) {
    if (record[key] === undefined) return path === 'input' ? `The input "${key}" is required.` : `${path}.${key} is required.`;
  }
  for (const [key, item] of Object.entries(record)) {
    if (item === undefined) continue;
    const known = properties[key];
    const itemPath = path === 'input' ? `"${key}"` : `${path}.${key}`;
    if (known) {
      const problem = checkValue(item, known, itemPath);
      if (problem) return problem;
    } else if (typeof schema.additionalProperties === 'object') {
      const problem = checkValue(item, schema.additionalProperties, itemPath);
      if (problem) return problem;
    } else if (schema.additionalProperties === false) {
      const names = Object.keys(properties);
      return `${itemPath} is not an input of this tool; use ${names.length ? names.map((n) => `"${n}"`).join(', ') : 'no inputs'}.`;
    }
  }
  return undefined;
}

/** The input as given when it fits the schema, else the first problem as one sentence. */
export function validateToolInput(input: unknown, schema: ToolSchema): InputCheck {
  const problem = checkObject(input ?? {}, schema, 'input');
  return problem ? { ok: false, error: problem } : { ok: true, input: (input ?? {}) as Record<string, unknown> };
}
