// Most-recently-used connect targets, kept per workspace so Connect… offers what this project talks to.

export const MAX_RECENT_TARGETS = 10;

/** Puts `target` first, drops an older copy of it, and keeps at most `max` entries. */
export function rememberTarget(recent: readonly string[], target: string, max = MAX_RECENT_TARGETS): string[] {
  return [target, ...recent.filter((t) => t !== target)].slice(0, max);
}

/** Reads a stored list defensively: workspace state is plain JSON that older versions may have written. */
export function readRecentTargets(stored: unknown): string[] {
  return Array.isArray(stored) ? stored.filter((t): t is string => typeof t === 'string').slice(0, MAX_RECENT_TARGETS) : [];
}
