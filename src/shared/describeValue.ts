// Helpers for validation messages about values read from settings files or webview messages.

/** A plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A short rendering of a bad value for a one-sentence message: enough to find it in settings.json.
 * JSON quoting escapes control characters, so the message stays on one line.
 */
export function describeValue(value: unknown, whenMissing = 'nothing'): string {
  if (value === undefined) return whenMissing;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
