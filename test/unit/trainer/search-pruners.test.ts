import { describe, expect, it } from 'vitest';
import {
  createHyperbandPruner,
  createMedianPruner,
  createSuccessiveHalvingPruner,
  hyperbandBudgets,
  type TrialRecord,
} from '../../../services/trainer/search/index.js';
import { crc32 } from '../../../services/trainer/search/crc32.js';

function curve(values: readonly number[], from = 0): Map<number, number> {
  return new Map(values.map((v, i) => [from + i, v]));
}

function record(id: number, state: TrialRecord['state'], values: readonly number[]): TrialRecord {
  return { id, state, params: {}, intermediate: curve(values), startedAtMs: 0, ...(state === 'complete' ? { value: values[values.length - 1] } : {}) };
}

/** Reports the curve step by step, as the study does, until the pruner says stop; returns the step it stopped at. */
function prunedAt(pruner: ReturnType<typeof createMedianPruner>, values: readonly number[], others: TrialRecord[], id = 999, direction: 'minimize' | 'maximize' = 'minimize'): number | undefined {
  const trial = record(id, 'running', []);
  const all = [...others, trial];
  for (let step = 0; step < values.length; step++) {
    trial.intermediate.set(step, values[step]!);
    if (pruner.shouldPrune(trial, step, all, direction)) return step;
  }
  return undefined;
}

describe('median pruner', () => {
  // Five completed loss curves; their median at step s is 1 / (s + 1) + 0.2.
  const completed = [0, 0.1, 0.2, 0.3, 0.4].map((offset, id) => record(id, 'complete', Array.from({ length: 10 }, (_, s) => 1 / (s + 1) + offset)));

  it("prunes a trial whose curve is clearly worse than the completed trials' median at the same step", () => {
    expect(prunedAt(createMedianPruner(), Array.from({ length: 10 }, (_, s) => 1 / (s + 1) + 1), completed)).toBe(0);
  });

  it('keeps a trial whose curve is better than the median', () => {
    expect(prunedAt(createMedianPruner(), Array.from({ length: 10 }, (_, s) => 1 / (s + 1) + 0.05), completed)).toBeUndefined();
  });

  it('judges by the best value so far, so one bad epoch after a good one does not prune', () => {
    // Step 3 is bad (2.0) but step 2 (0.3) beats the median at step 3 (0.45).
    expect(prunedAt(createMedianPruner(), [1.1, 0.6, 0.3, 2.0], completed)).toBeUndefined();
  });

  it('flips the comparison for maximize', () => {
    const accuracies = [0.5, 0.6, 0.7, 0.8, 0.9].map((a, id) => record(id, 'complete', [a, a, a]));
    expect(prunedAt(createMedianPruner(), [0.4, 0.4, 0.4], accuracies, 999, 'maximize')).toBe(0);
    expect(prunedAt(createMedianPruner(), [0.75, 0.75, 0.75], accuracies, 999, 'maximize')).toBeUndefined();
  });

  it('prunes nothing before n_startup_trials complete or during warm-up steps', () => {
    const bad = Array.from({ length: 10 }, () => 5);
    expect(prunedAt(createMedianPruner(), bad, completed.slice(0, 4))).toBeUndefined();
    expect(prunedAt(createMedianPruner({ nWarmupSteps: 4 }), bad, completed)).toBe(4);
    // 0.39 beats the median until step 4 (0.4), loses from step 5 (0.367); with checks every 3 steps from 4, the next is 7.
    const slightlyWorse = Array.from({ length: 8 }, () => 0.39);
    expect(prunedAt(createMedianPruner({ nWarmupSteps: 4 }), slightlyWorse, completed)).toBe(5);
    expect(prunedAt(createMedianPruner({ nWarmupSteps: 4, intervalSteps: 3 }), slightlyWorse, completed)).toBe(7);
  });
});

describe('successive halving pruner', () => {
  /** Trials that reported one value at step 1 (rung 0 with minResource 1, eta 4). */
  const rung0 = (values: readonly number[]): TrialRecord[] => values.map((v, id) => ({ ...record(id, 'pruned', []), intermediate: new Map([[0, 99], [1, v]]) }));

  it('promotes exactly the top 1/eta of the trials that reached the rung', () => {
    const pruner = createSuccessiveHalvingPruner({ minResource: 1, reductionFactor: 4 });
    // 11 others at rung 0 with losses 1..11; with the candidate that makes 12, so the top floor(12 / 4) = 3 go on.
    const others = rung0([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const promoted = [0.5, 1.5, 2.5, 3.5, 4.5, 6.5, 11.5].filter((v) => prunedAt(pruner, [99, v], others) === undefined);
    expect(promoted).toEqual([0.5, 1.5, 2.5]);
    expect(prunedAt(pruner, [99, 3], others)).toBeUndefined();
  });

  it('promotes only the best while fewer than eta trials reached the rung', () => {
    const pruner = createSuccessiveHalvingPruner({ minResource: 1 });
    expect(prunedAt(pruner, [99, 2.5], rung0([2, 3]))).toBe(1);
    expect(prunedAt(pruner, [99, 1.5], rung0([2, 3]))).toBeUndefined();
  });

  it('does not judge before the first rung and judges the next rung at minResource * eta', () => {
    const pruner = createSuccessiveHalvingPruner({ minResource: 2, reductionFactor: 2 });
    // Rungs end at steps 2, 4, 8. The others reached step 4 with values 1 and 2 there.
    const others = [0, 1].map((id) => record(id, 'pruned', [9, 9, 1 + id, 9, 1 + id]));
    expect(prunedAt(pruner, [50, 50, 0.5, 50, 3], others)).toBe(4);
  });

  it("estimates min_resource as Optuna's auto: the first completed trial's last step / 100", () => {
    const pruner = createSuccessiveHalvingPruner({ reductionFactor: 2 });
    const trial = record(9, 'running', [5, 5, 5, 5]);
    expect(pruner.shouldPrune(trial, 3, [trial], 'minimize')).toBe(false);
    // A completed 400-step trial sets min_resource 4: rung 0 ends at step 4.
    const done = record(0, 'complete', Array.from({ length: 401 }, () => 1));
    const all = [done, trial];
    expect(pruner.shouldPrune(trial, 3, all, 'minimize')).toBe(false);
    trial.intermediate.set(4, 5);
    expect(pruner.shouldPrune(trial, 4, all, 'minimize')).toBe(true);
  });
});

describe('hyperband pruner', () => {
  it('computes bracket budgets as Optuna does', () => {
    // floor(log_3(10)) + 1 = 3 brackets; budgets ceil(3 * 3^s / (s + 1)) for s = 2, 1, 0.
    expect(hyperbandBudgets(1, 10, 3)).toEqual([9, 5, 3]);
    expect(hyperbandBudgets(1, 81, 3)).toHaveLength(5);
    // Counted exactly: 10^3 <= 1000 gives 4 brackets (Optuna's float log gives 3 here).
    expect(hyperbandBudgets(1, 1000, 10)).toEqual([1000, 134, 20, 4]);
  });

  it('hashes trial numbers with the study name into the same brackets as Optuna', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
    // Computed with Python's binascii.crc32(f'{study_name}_{number}') and Optuna's bracket walk.
    const expected = [2, 2, 0, 0, 1, 1, 1, 0, 2, 1, 0, 0, 1, 0, 0, 0, 2, 0, 0, 2];
    const pruner = createHyperbandPruner({ maxResource: 10, studyName: 'mnist-study' });
    expect(Array.from({ length: 20 }, (_, id) => pruner.bracketOf(id))).toEqual(expected);
    const again = createHyperbandPruner({ maxResource: 10, studyName: 'mnist-study' });
    expect(Array.from({ length: 20 }, (_, id) => again.bracketOf(id))).toEqual(expected);
  });

  it('assigns brackets in proportion to their budgets', () => {
    const pruner = createHyperbandPruner({ maxResource: 10 });
    const counts = [0, 0, 0];
    for (let id = 0; id < 3400; id++) counts[pruner.bracketOf(id)!]! += 1;
    expect(counts.map((c) => c / 3400)).toEqual([expect.closeTo(9 / 17, 1), expect.closeTo(5 / 17, 1), expect.closeTo(3 / 17, 1)]);
  });

  it('prunes a trial only against the trials of its own bracket', () => {
    const pruner = createHyperbandPruner({ maxResource: 27, reductionFactor: 3 });
    const ids = Array.from({ length: 200 }, (_, id) => id);
    const inBracket0 = ids.filter((id) => pruner.bracketOf(id) === 0);
    const elsewhere = ids.filter((id) => pruner.bracketOf(id) !== 0);
    const [candidate, ...peers] = inBracket0;
    // Bracket 0 (min_early_stopping_rate 0) judges at step 1. Its own peers are bad (10..), other brackets are good (0..).
    const trials = [
      ...peers.slice(0, 8).map((id, i) => record(id, 'pruned', [99, 10 + i])),
      ...elsewhere.slice(0, 8).map((id, i) => record(id, 'pruned', [99, i])),
    ];
    // 5 is worse than every trial elsewhere but best in its bracket: kept.
    expect(prunedAt(pruner, [99, 5], trials, candidate!)).toBeUndefined();
    // 14 is in the lower part of its own bracket (8 peers + itself: top floor(9 / 3) = 3): pruned.
    expect(prunedAt(pruner, [99, 14], trials, candidate!)).toBe(1);
  });

  it('prunes nothing until a completed trial fixes an automatic max_resource', () => {
    const pruner = createHyperbandPruner();
    const trial = record(1, 'running', [9, 9]);
    expect(pruner.shouldPrune(trial, 1, [trial], 'minimize')).toBe(false);
    expect(pruner.bracketOf(1)).toBeUndefined();
    pruner.shouldPrune(trial, 1, [record(0, 'complete', Array.from({ length: 27 }, () => 1)), trial], 'minimize');
    expect(pruner.budgets).toEqual(hyperbandBudgets(1, 27, 3));
  });
});
