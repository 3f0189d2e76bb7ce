import type { DriftReport } from '../../drift/index.js';
import type { LoopEvents, LoopTopic } from './timeline.js';

/** One feature's drift in one window: its PSI and the policy's decisive test. */
export interface FeatureDrift {
  feature: string;
  kind: 'numeric' | 'categorical';
  psi: number | null;
  test: string;
  value: number;
  /** The decisive test's p-value, for KS and chi-square. */
  pValue: number | null;
  drifted: boolean;
}

/** The input features of a window report (not the predictions or performance), in report order. */
export function featureDrift(report: Pick<DriftReport, 'features'>): FeatureDrift[] {
  const out = new Map<string, FeatureDrift>();
  for (const s of report.features) {
    if ((s.kind !== 'numeric' && s.kind !== 'categorical') || s.variant !== '') continue;
    const f = out.get(s.feature) ?? { feature: s.feature, kind: s.kind, psi: null, test: '', value: Number.NaN, pValue: null, drifted: false };
    if (s.test === 'psi') f.psi = s.value;
    if (s.decisive) Object.assign(f, { test: s.test, value: s.value, pValue: s.p_value, drifted: s.drifted });
    out.set(s.feature, f);
  }
  return [...out.values()];
}

const fixed = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));

/** The decisive test as it decided: "ks p=0.0001" for the p-value tests, "wasserstein 0.31" for the distances. */
export function testText(f: Pick<FeatureDrift, 'test' | 'value' | 'pValue'>): string {
  if (f.pValue === null) return `${f.test} ${fixed(f.value, 3)}`;
  return `${f.test} p=${f.pValue < 0.0001 ? f.pValue.toExponential(0) : f.pValue.toFixed(4)}`;
}
export const percent = (x: number): string => `${Math.round(x * 100)}%`;
export const shortRun = (runId: string | null | undefined): string => (runId ? runId.slice(0, 14) : '-');

/** "vicprice psi 9.12*" per feature; a star marks the features the decisive test found drifted. */
export function driftText(features: readonly FeatureDrift[]): string {
  return features.map((f) => `${f.feature} ${fixed(f.psi)}${f.drifted ? '*' : ''}`).join(' ');
}

/** What a control event means, as one line of the demo's log; null for events too small to tell. */
export function describeEvent<T extends LoopTopic>(topic: T, event: LoopEvents[T][number], windowNumber: number, where: (ms: number) => string): string | null {
  switch (topic) {
    case 'drift-reports': {
      const r = event as LoopEvents['drift-reports'][number];
      const drifted = featureDrift(r).filter((f) => f.drifted);
      const what = drifted.length ? `drift in ${drifted.map((f) => `${f.feature} (${testText(f)}, psi ${fixed(f.psi)})`).join(', ')}` : 'no drift';
      return `window ${windowNumber}: ${r.window_rows} events up to ${where(r.window_end)}: ${what} -> ${r.decision}${r.run_id ? ` (run ${shortRun(r.run_id)})` : ''}`;
    }
    case 'retrain-requests': {
      const r = event as LoopEvents['retrain-requests'][number];
      return `retrain requested by ${r.requested_by} (${r.cause.kind}): run ${shortRun(r.run_id)}${r.cause.detail ? ` - ${r.cause.detail.slice(0, 160)}` : ''}`;
    }
    case 'training-results': {
      const r = event as LoopEvents['training-results'][number];
      if (r.state === 'done') return `run ${shortRun(r.run_id)} done: ${r.trials} trials, test accuracy ${fixed(r.metrics.test_accuracy, 3)}`;
      if (r.state === 'failed' || r.state === 'cancelled') return `run ${shortRun(r.run_id)} ${r.state}: ${r.message}`;
      return null;
    }
    case 'evaluations': {
      const e = event as LoopEvents['evaluations'][number];
      const champion = e.champion_version ? ` vs champion v${e.champion_version} ${fixed(e.champion_metrics.accuracy, 3)}` : ' (no champion yet)';
      return `evaluation of run ${shortRun(e.run_id)}: candidate accuracy ${fixed(e.candidate_metrics.accuracy, 3)}${champion} -> ${e.decision}`;
    }
    case 'registry-events': {
      const e = event as LoopEvents['registry-events'][number];
      if (e.action === 'registered') return `registry: version ${e.version} registered (run ${shortRun(e.run_id)})`;
      if (e.action === 'alias_set' && e.alias === 'champion') return `registry: champion -> version ${e.version}${e.previous_version ? ` (was ${e.previous_version})` : ''}`;
      return null;
    }
    case 'rollout-events': {
      const e = event as LoopEvents['rollout-events'][number];
      const failed = e.checks.filter((c) => !c.passed).map((c) => c.name);
      const checks = e.checks.length ? ` [${e.checks.length - failed.length}/${e.checks.length} checks passed${failed.length ? `; failed: ${failed.join(', ')}` : ''}]` : '';
      if (e.state === 'promoted') return `rollout: version ${e.version} promoted${checks}`;
      if (e.state === 'rolled_back') return `rollout: version ${e.version} rolled back: ${e.reason}`;
      return `rollout: version ${e.version} ${e.phase}${e.phase === 'canary' ? ` ${percent(e.weight)}` : ''} (${e.state})${checks}`;
    }
    default:
      return null;
  }
}
