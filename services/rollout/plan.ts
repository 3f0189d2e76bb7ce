import type { RolloutPhase } from './states.js';

/**
 * Where a rollout is in time, as pure functions of what the `rollouts` row
 * stores. Step 0 is the shadow phase (weight 0, traffic mirrored), steps
 * 1..n the canary weights. A step's k-th analysis covers
 * [step_started_at, step_started_at + k × interval): every deadline derives
 * from the stored step start, so a restarted controller analyses at the same
 * instants, over the same ranges, as the one that stopped.
 */
export interface RolloutPlan {
  /** Canary weights, increasing, each in (0, 1]. */
  steps: readonly number[];
  /** How long the shadow phase lasts; 0 skips it. */
  shadowDurationMs: number;
  analysisIntervalMs: number;
  /** Extra intervals a step may take when an analysis had too few samples (or failed within the failure threshold). */
  maxStepExtensions: number;
}

export interface NextAnalysis {
  /** 1-based index of the analysis within the step. */
  index: number;
  /** End of its range and the time it is due. */
  at: number;
  /** True from the first analysis that may end the step (the step's hold is over). */
  final: boolean;
  /** True for the last analysis the step may take: not passing it rolls back. */
  last: boolean;
}

/** The step a new rollout starts in: the shadow phase, or the first canary step when shadow is off. */
export function firstStep(plan: Pick<RolloutPlan, 'shadowDurationMs'>): number {
  return plan.shadowDurationMs > 0 ? 0 : 1;
}

export function phaseOf(step: number): Exclude<RolloutPhase, 'done'> {
  return step === 0 ? 'shadow' : 'canary';
}

/** Traffic share of the candidate in `step` (0 in shadow: it only sees mirrored requests). */
export function weightOf(steps: readonly number[], step: number): number {
  return step === 0 ? 0 : (steps[step - 1] ?? 0);
}

export function isLastStep(steps: readonly number[], step: number): boolean {
  return step >= steps.length;
}

/** Analyses a step needs at least: its hold divided into intervals, rounded up. */
export function minAnalyses(plan: RolloutPlan, step: number): number {
  const holdMs = step === 0 ? plan.shadowDurationMs : plan.analysisIntervalMs;
  return Math.max(1, Math.ceil(holdMs / plan.analysisIntervalMs));
}

/**
 * The analysis after the one that covered up to `analysedUntil` (the step's
 * start when none has run yet).
 */
export function nextAnalysis(plan: RolloutPlan, step: number, stepStartedAt: number, analysedUntil: number): NextAnalysis {
  const interval = plan.analysisIntervalMs;
  const done = Math.max(0, Math.floor((analysedUntil - stepStartedAt) / interval));
  const index = done + 1;
  const min = minAnalyses(plan, step);
  return { index, at: stepStartedAt + index * interval, final: index >= min, last: index >= min + plan.maxStepExtensions };
}

/** How many times the step has been extended past its hold when analysis `index` runs. */
export function extensionsAt(plan: RolloutPlan, step: number, index: number): number {
  return Math.max(0, index - minAnalyses(plan, step));
}

/** Checks a steps list: increasing weights in (0, 1]; returns the reason it is not, or null. */
export function invalidSteps(steps: readonly number[]): string | null {
  if (steps.length === 0) return 'must list at least one weight';
  for (let i = 0; i < steps.length; i++) {
    const w = steps[i]!;
    if (!(w > 0 && w <= 1)) return `weight ${w} is not in (0, 1]`;
    if (i > 0 && w <= steps[i - 1]!) return `weights must increase (${steps[i - 1]} then ${w})`;
  }
  return null;
}
