// Small statistics helpers for the benchmarks: medians tame the noise of a shared machine.

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) {
    return Number.NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function round(value: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/**
 * ours[i] ÷ raw[i] for each pair of runs made back to back: a slow spell on a shared machine hits both
 * halves of a pair, so the ratio of a pair is steadier than either figure alone.
 */
export function pairRatios(ours: readonly number[], raw: readonly number[]): number[] {
  if (ours.length !== raw.length) throw new Error(`${ours.length} runs of ours against ${raw.length} raw runs: figures must come in pairs.`);
  return ours.map((value, i) => value / raw[i]);
}

/** A positive integer from the environment, or the default when unset; anything else is an error, not a silent default. */
export function envCount(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${text} is not a positive integer.`);
  return value;
}
