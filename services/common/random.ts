/**
 * mulberry32 (Tommy Ettinger): 32 bits of state, fast, good enough for
 * sampling, shuffles and weight init. The one seeded source of randomness in
 * driftloop (search, builtin trainers, tests, benches), so a seed fixes a
 * result bit for bit; Math.random is never used where results must repeat.
 * Returns floats in [0, 1) with 2^-32 resolution.
 */
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
