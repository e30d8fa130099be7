// A small seeded PRNG (mulberry32) for the proxy's faults: toxicity draws, jitter and slice sizes.
// Math.random cannot be seeded, and a fault that misbehaves once must be replayable with the same seed.

/** Returns a function yielding floats in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The seed of one toxic on one pair: the toxic's seed mixed with the pair's number within its proxy
 * (1, 2, …), so the Nth connection of a run draws what the Nth connection of the last run drew,
 * while two pairs of one run do not draw alike.
 */
export function pairSeed(toxicSeed: number, pairNumber: number): number {
  let h = (toxicSeed ^ Math.imul(pairNumber, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** A seed for a toxic that names none: random, but then fixed for that toxic's life. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x1_0000_0000);
}
