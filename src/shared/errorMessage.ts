// The sentence of whatever was thrown: our errors carry one as their message; anything else is
// shown as text rather than lost.

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
