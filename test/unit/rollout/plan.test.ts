import { describe, expect, it } from 'vitest';
import { extensionsAt, firstStep, invalidSteps, minAnalyses, nextAnalysis, phaseOf, weightOf, type RolloutPlan } from '../../../services/rollout/plan.js';
import { assertTransition, canTransition } from '../../../services/rollout/states.js';

const plan: RolloutPlan = { steps: [0.01, 0.1, 0.5, 1], shadowDurationMs: 25_000, analysisIntervalMs: 10_000, maxStepExtensions: 2 };
const T = 1_000_000;

describe('rollout plan', () => {
  it('starts in shadow, or at the first canary step when shadow is off', () => {
    expect(firstStep(plan)).toBe(0);
    expect(firstStep({ shadowDurationMs: 0 })).toBe(1);
    expect([0, 1, 2, 3, 4].map((s) => [phaseOf(s), weightOf(plan.steps, s)])).toEqual([['shadow', 0], ['canary', 0.01], ['canary', 0.1], ['canary', 0.5], ['canary', 1]]);
  });

  it('holds the shadow phase for its duration in whole intervals and a canary step for one', () => {
    expect(minAnalyses(plan, 0)).toBe(3);
    expect(minAnalyses(plan, 1)).toBe(1);
  });

  it('derives every deadline from the step start, whatever time the last analysis ran', () => {
    expect(nextAnalysis(plan, 1, T, T)).toEqual({ index: 1, at: T + 10_000, final: true, last: false });
    // A revision written as of the first deadline: the second follows one interval later, not one interval after "now".
    expect(nextAnalysis(plan, 1, T, T + 10_000)).toEqual({ index: 2, at: T + 20_000, final: true, last: false });
    expect(nextAnalysis(plan, 1, T, T + 20_000)).toMatchObject({ index: 3, last: true });
    expect(extensionsAt(plan, 1, 3)).toBe(2);
    expect(nextAnalysis(plan, 0, T, T + 10_000)).toMatchObject({ index: 2, final: false });
    expect(nextAnalysis(plan, 0, T, T + 20_000)).toMatchObject({ index: 3, at: T + 30_000, final: true });
  });

  it('accepts only increasing weights in (0, 1]', () => {
    expect(invalidSteps([0.01, 0.1, 0.5, 1])).toBeNull();
    expect(invalidSteps([])).toMatch(/at least one/);
    expect(invalidSteps([0.5, 0.1])).toMatch(/increase/);
    expect(invalidSteps([0, 1])).toMatch(/not in/);
    expect(invalidSteps([1.5])).toMatch(/not in/);
  });
});

describe('rollout states', () => {
  it('lets a paused rollout resume, promote or roll back, and nothing leave rolled_back', () => {
    expect(canTransition('paused', 'running')).toBe(true);
    expect(canTransition('awaiting_approval', 'paused')).toBe(false);
    expect(canTransition('promoted', 'rolled_back')).toBe(true);
    expect(() => assertTransition('rollout m@2', 'rolled_back', 'running')).toThrow(/rolled_back: it cannot become running \(allowed: nothing \(terminal\)\)/);
  });
});
