import { counter, histogram, type ClickHouse, type Registry as Metrics } from '../common/index.js';
import type { Activities } from './activities.js';
import { describeFailures, judgeAnalysis, type AnalysisThresholds } from './analysis.js';
import { extensionsAt, isLastStep, phaseOf, weightOf, type NextAnalysis, type RolloutPlan } from './plan.js';
import { measureVariants } from './sql/measure.js';
import type { RolloutRecord, StoredCheck } from './store.js';

export interface AnalyseDeps {
  clickhouse: ClickHouse;
  activities: Activities;
  metrics: Metrics;
  plan: RolloutPlan;
  thresholds: AnalysisThresholds;
  failureThreshold: number;
  manualGate: boolean;
  now(): number;
  /** Promotes `r` (alias moves, state promoted): the controller's one way to promote. */
  promote(r: RolloutRecord, actor: string, reason: string): Promise<RolloutRecord>;
}

/**
 * One analysis of a running rollout's step, over [step start, deadline), and
 * its outcome: roll back (failed checks beyond the threshold, or a step that
 * ran out of extensions), hold the step (too few samples, a failure within
 * the threshold, or its hold not over), or pass it (next step, the manual
 * gate, or promotion after the last).
 */
export function createAnalyser(deps: AnalyseDeps): (r: RolloutRecord, next: NextAnalysis) => Promise<RolloutRecord> {
  const { activities: act, plan } = deps;
  const analyses = counter(deps.metrics, 'driftloop_rollout_analyses_total', 'Step analyses by outcome.', ['outcome']);
  const seconds = histogram(deps.metrics, 'driftloop_rollout_analysis_seconds', 'Time to measure one analysis in ClickHouse.');

  return async function analyse(r, next) {
    const phase = phaseOf(r.step);
    const timer = seconds.startTimer();
    const input = await measureVariants(deps.clickhouse, {
      // At 100% the champion answers nothing in the step: its traffic since the rollout began is the baseline.
      model: r.model, fromMs: r.stepStartedAt, toMs: next.at, championFromMs: r.weight >= 1 ? r.startedAt : r.stepStartedAt, championVersion: r.championVersion ?? '', candidateVersion: r.version,
      candidateVariant: phase, withAgreement: phase === 'shadow', minScores: deps.thresholds.minSamples,
    });
    timer();
    const verdict = judgeAnalysis(input, deps.thresholds);
    const checks: StoredCheck[] = verdict.checks.map(({ judged: _judged, ...c }) => c);
    const failedChecks = r.failedChecks + verdict.failed.length;
    const where = `${phase} step ${r.step}${r.step > 0 ? ` (weight ${r.weight})` : ''}, analysis ${next.index}`;
    const extensions = extensionsAt(plan, r.step, next.index);
    const rollback = (reason: string): Promise<RolloutRecord> =>
      act.record(r, { state: 'rolled_back', phase: 'done', weight: 0, checks, failedChecks, reason }, ['rolled_back', 'rolled_back'], next.at);
    const hold = (reason: string, event: boolean): Promise<RolloutRecord> => act.record(r, { checks, failedChecks, reason }, event ? [phase, 'failed'] : null, next.at);

    if (verdict.failed.length > 0) {
      analyses.inc({ outcome: 'failed' });
      const failures = describeFailures(verdict.failed);
      if (failedChecks > deps.failureThreshold) return rollback(`automatic rollback at ${where}: ${failedChecks} failed check(s) > threshold ${deps.failureThreshold}: ${failures}`);
      if (next.last) return rollback(`automatic rollback at ${where}: step did not pass within ${plan.maxStepExtensions} extension(s): ${failures}`);
      return hold(`${where}: ${failedChecks} failed check(s) within threshold ${deps.failureThreshold}, step held another interval: ${failures}`, true);
    }
    if (!verdict.enoughSamples) {
      analyses.inc({ outcome: 'thin' });
      const counts = `candidate ${input.candidate.requests}, champion ${input.champion.requests} requests (min ${deps.thresholds.minSamples})`;
      if (!next.final) return hold(`${where}: not enough samples yet (${counts})`, false);
      if (next.last) return rollback(`automatic rollback at ${where}: not enough samples after ${plan.maxStepExtensions} extension(s) (${counts})`);
      return hold(`${where}: not enough samples (${counts}), step extended (${extensions + 1} of ${plan.maxStepExtensions})`, false);
    }
    analyses.inc({ outcome: 'passed' });
    if (!next.final) return hold(`${where}: checks passed, step held until its end`, false);

    const last = isLastStep(r.steps, r.step);
    if (last && (await act.gateRequired(r, deps.manualGate))) {
      return act.record(r, { state: 'awaiting_approval', checks, failedChecks, reason: `${where}: checks passed; all steps passed, awaiting approval` }, [phase, 'awaiting_approval'], next.at);
    }
    const passed = await act.record(r, { checks, failedChecks, reason: `${where}: checks passed` }, [phase, 'passed'], next.at);
    if (last) return deps.promote(passed, 'rollout', 'all steps passed');
    const step = r.step + 1;
    const now = deps.now();
    return act.record(passed, { phase: 'canary', step, weight: weightOf(r.steps, step), stepStartedAt: now, reason: `canary step ${step} started at weight ${weightOf(r.steps, step)}` }, ['canary', 'started'], now);
  };
}
