import type { ModelArtifact, TabularRows } from '../trainer/builtin/index.js';
import { judgeGates, sliceAccuracy, type Gate, type GatePolicy, type SliceResult } from './gates.js';
import { bootstrap, metricsOf, scoreRows, type Interval, type MetricName } from './metrics.js';

export interface EvaluationPolicy extends GatePolicy {
  resamples: number;
  confidence: number;
}

export interface EvaluationOutcome {
  decision: 'register' | 'reject';
  /** Why: the failed gates' details, or what passed. */
  reason: string;
  candidateMetrics: Record<string, number>;
  championMetrics: Record<string, number>;
  candidateCi: Record<string, Interval>;
  championCi: Record<string, Interval>;
  gates: Gate[];
  slices: SliceResult[];
}

const defined = (m: Partial<Record<MetricName, number>>): Record<string, number> => Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined && Number.isFinite(v))) as Record<string, number>;

/**
 * Scores the candidate and the champion (if any) on the same holdout rows,
 * with bootstrap intervals and per-slice accuracy, and runs the gates. The
 * bootstrap is seeded by `seed`, so an evaluation replays identically.
 */
export function evaluateCandidate(input: { candidate: ModelArtifact; champion: ModelArtifact | null; rows: TabularRows; policy: EvaluationPolicy; seed: number }): EvaluationOutcome {
  const { rows, policy } = input;
  const labels = rows.map((r) => r.label);
  const candidate = scoreRows(input.candidate, rows);
  const champion = input.champion ? scoreRows(input.champion, rows) : null;
  const candidateMetrics = metricsOf(candidate, labels);
  const championMetrics = champion ? metricsOf(champion, labels) : {};
  const intervals = rows.length > 0 ? bootstrap(candidate, champion, labels, { resamples: policy.resamples, confidence: policy.confidence, seed: input.seed }) : { candidate: {}, champion: {}, difference: {} };
  const slices = champion ? sliceAccuracy(rows, candidate, champion, policy.sliceMinRows) : [];
  const gates = judgeGates({ policy, rows, candidate, champion, candidateMetrics, championMetrics, intervals, slices });
  const failed = gates.filter((g) => !g.passed);
  const metric = policy.metric;
  const reason = failed.length
    ? `rejected: ${failed.map((g) => `${g.name}: ${g.detail}`).join('; ')}`
    : `passed ${gates.length} gates: ${gates.find((g) => g.name === `improvement_${metric}`)?.detail ?? gates.find((g) => g.name === `absolute_${metric}`)!.detail}`;
  return {
    decision: failed.length ? 'reject' : 'register', reason,
    candidateMetrics: defined(candidateMetrics), championMetrics: defined(championMetrics),
    candidateCi: intervals.candidate as Record<string, Interval>, championCi: intervals.champion as Record<string, Interval>,
    gates, slices,
  };
}
