/**
 * The training-run metrics the drift monitor and the backtest read back
 * about a version: the trainer writes them, and a new champion's reference
 * carries them.
 *
 * - `importance.<feature>`: each input's permutation importance (the accuracy
 *   lost when that input is shuffled); importanceWeighted policies weigh
 *   drift by it.
 * - `test_accuracy`: the accuracy on the run's test split; the accuracy
 *   check measures a drop from it (accuracyReference `higher`).
 */
export const IMPORTANCE_PREFIX = 'importance.';
export const TEST_ACCURACY = 'test_accuracy';

/** The permutation importance of each input among a run's metrics, if it has any. */
export function importanceOf(metrics: Record<string, number>): Record<string, number> | null {
  const entries = Object.entries(metrics).filter(([k]) => k.startsWith(IMPORTANCE_PREFIX)).map(([k, v]) => [k.slice(IMPORTANCE_PREFIX.length), v] as const);
  return entries.length ? Object.fromEntries(entries) : null;
}

/** The accuracy on the run's test split among its metrics, if it recorded one. */
export function testAccuracyOf(metrics: Record<string, number>): number | null {
  const value = metrics[TEST_ACCURACY];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
