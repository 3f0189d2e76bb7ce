import { judgeAnalysis, type AnalysisThresholds, type VariantMetrics } from '../../rollout/index.js';
import type { BuiltinModel, FeatureRow } from '../../trainer/builtin/index.js';

interface Answered {
  label: string;
  score: number;
}

/** Decile edges of `scores` (9 cut points), as the rollout bins scores on the champion's deciles. */
function deciles(scores: readonly number[]): number[] {
  const sorted = [...scores].sort((a, b) => a - b);
  return Array.from({ length: 9 }, (_, i) => sorted[Math.min(sorted.length - 1, Math.floor(((i + 1) * sorted.length) / 10))]!);
}

function metricsOf(answers: readonly Answered[], labels: readonly string[], edges: readonly number[]): VariantMetrics {
  const scoreBins = new Map<number, number>();
  const classes = new Map<string, number>();
  let correct = 0;
  answers.forEach((a, i) => {
    const bin = edges.filter((e) => a.score > e).length;
    scoreBins.set(bin, (scoreBins.get(bin) ?? 0) + 1);
    classes.set(a.label, (classes.get(a.label) ?? 0) + 1);
    if (a.label === labels[i]) correct++;
  });
  const n = answers.length;
  return { requests: n, errors: 0, latencySamples: 0, p99LatencyMs: 0, scored: n, scoreBins, classes, labeled: n, correct };
}

/**
 * The canary's verdict made offline: the candidate and the champion both
 * answer the labeled records that followed the retrain, and the rollout's own
 * analysis judges the candidate against the champion on them (accuracy beyond
 * sampling noise, prediction PSI and the shadow phase's agreement until
 * labels decide; latency and errors are the same offline).
 */
export function canaryVerdict(champion: BuiltinModel, candidate: BuiltinModel, rows: readonly (FeatureRow & { label: string })[], thresholds: AnalysisThresholds): { passed: boolean; detail: string } {
  const labels = rows.map((r) => r.label);
  const byChampion = champion.predict(rows);
  const byCandidate = candidate.predict(rows);
  const edges = deciles(byChampion.map((a) => a.score));
  // The shadow phase's agreement and the canary steps' checks at once: offline both answer every record.
  const agreement = { pairs: rows.length, agree: byCandidate.filter((a, i) => a.label === byChampion[i]!.label).length };
  const verdict = judgeAnalysis({ candidate: metricsOf(byCandidate, labels, edges), champion: metricsOf(byChampion, labels, edges), agreement }, thresholds);
  if (!verdict.enoughSamples) return { passed: false, detail: `canary: not enough samples (${rows.length}, min ${thresholds.minSamples})` };
  if (verdict.failed.length > 0) return { passed: false, detail: `canary rolled back: ${verdict.failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}` };
  const accuracy = verdict.checks.find((c) => c.name === 'accuracy');
  return { passed: true, detail: `canary passed on ${rows.length} records${accuracy ? ` (${accuracy.detail})` : ''}` };
}
