/** The service's seeded PRNG, so tests and benches see the same data on every run. */
export { seededRandom } from '../../services/common/index.js';

/** Standard normal draws (Box-Muller) from `random`. */
export function normal(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
