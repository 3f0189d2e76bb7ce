/**
 * How a training run records each input's permutation importance: run
 * metrics `importance.<feature>` (the accuracy lost when that input is
 * shuffled). The trainer writes them; the drift monitor and the backtest read
 * them to weigh drift (importanceWeighted policies).
 */
export const IMPORTANCE_PREFIX = 'importance.';

/** The permutation importance of each input among a run's metrics, if it has any. */
export function importanceOf(metrics: Record<string, number>): Record<string, number> | null {
  const entries = Object.entries(metrics).filter(([k]) => k.startsWith(IMPORTANCE_PREFIX)).map(([k, v]) => [k.slice(IMPORTANCE_PREFIX.length), v] as const);
  return entries.length ? Object.fromEntries(entries) : null;
}
