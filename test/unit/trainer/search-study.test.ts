import { describe, expect, it } from 'vitest';
import type { Clock } from '../../../services/common/index.js';
import {
  createMedianPruner,
  createRandomSampler,
  createTpeSampler,
  formatProgress,
  parseSearchSpace,
  runStudy,
  type StudyProgress,
  type TrialRecord,
} from '../../../services/trainer/search/index.js';

const space = parseSearchSpace({ x: { type: 'float', low: 0, high: 1 } });
const quadratic = async ({ params }: { params: Record<string, unknown> }): Promise<number> => ((params.x as number) - 0.3) ** 2;

function fakeClock(startMs = 1_000_000): Clock & { advance(ms: number): void } {
  let now = startMs;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

/** Resolves after other queued work ran, so concurrent objectives really overlap. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('runStudy', () => {
  it('runs exactly maxTrials trials and returns the best complete one', async () => {
    const result = await runStudy({ space, sampler: createRandomSampler(), direction: 'minimize', maxTrials: 17, seed: 3, objective: quadratic });
    expect(result.trials).toHaveLength(17);
    expect(result.trials.map((t) => t.id)).toEqual(Array.from({ length: 17 }, (_, i) => i));
    expect(result.stopReason).toBe('maxTrials');
    const best = Math.min(...result.trials.map((t) => t.value!));
    expect(result.best?.value).toBe(best);
    expect(result.trials.every((t) => t.state === 'complete' && t.durationMs !== undefined)).toBe(true);
  });

  it('never runs more than `parallelism` objectives at once, and uses all of them', async () => {
    let running = 0;
    let peak = 0;
    const result = await runStudy({
      space,
      sampler: createTpeSampler(),
      direction: 'minimize',
      maxTrials: 24,
      parallelism: 3,
      seed: 1,
      objective: async (trial) => {
        running++;
        peak = Math.max(peak, running);
        // Uneven durations, so trials finish out of start order.
        for (let i = 0; i < 1 + (trial.id % 4); i++) await tick();
        running--;
        return quadratic(trial);
      },
    });
    expect(result.trials).toHaveLength(24);
    expect(peak).toBe(3);
  });

  it('marks a trial whose objective throws as failed and goes on with the next', async () => {
    const result = await runStudy({
      space,
      sampler: createRandomSampler(),
      direction: 'minimize',
      maxTrials: 6,
      seed: 2,
      objective: async (trial) => {
        if (trial.id === 2) throw new Error('CUDA out of memory');
        if (trial.id === 4) return Number.NaN;
        return quadratic(trial);
      },
    });
    expect(result.trials.map((t) => t.state)).toEqual(['complete', 'complete', 'failed', 'complete', 'failed', 'complete']);
    expect(result.trials[2]!.error).toBe('CUDA out of memory');
    expect(result.trials[4]!.error).toContain('NaN');
    expect(result.best).toBeDefined();
  });

  it('records pruned trials as pruned, with their curve and last reported value', async () => {
    const result = await runStudy({
      space,
      sampler: createRandomSampler(),
      pruner: createMedianPruner({ nStartupTrials: 3 }),
      direction: 'minimize',
      maxTrials: 8,
      seed: 4,
      objective: async (trial) => {
        // Trials 0-2 learn well; later ones with an even id are much worse and get pruned at step 0.
        const bad = trial.id >= 3 && trial.id % 2 === 0;
        let loss = 1;
        for (let epoch = 0; epoch < 5; epoch++) {
          loss = (bad ? 10 : 1) / (epoch + 1);
          if (trial.report(epoch, loss)) trial.prune();
        }
        return loss;
      },
    });
    const states = result.trials.map((t) => t.state);
    expect(states).toEqual(['complete', 'complete', 'complete', 'complete', 'pruned', 'complete', 'pruned', 'complete']);
    const pruned = result.trials[4]!;
    expect([...pruned.intermediate]).toEqual([[0, 10]]);
    expect(pruned.value).toBe(10);
    expect(result.best?.state).toBe('complete');
  });

  it('starts no trial after maxTimeMs on the given clock and lets the running one finish', async () => {
    const clock = fakeClock();
    const result = await runStudy({
      space,
      sampler: createRandomSampler(),
      direction: 'minimize',
      maxTrials: 100,
      maxTimeMs: 35,
      seed: 5,
      clock,
      objective: async (trial) => {
        clock.advance(10);
        return quadratic(trial);
      },
    });
    // Trials start at 0, 10, 20 and 30 ms; at 40 ms the budget is spent.
    expect(result.trials).toHaveLength(4);
    expect(result.stopReason).toBe('maxTime');
    expect(result.trials.map((t) => t.durationMs)).toEqual([10, 10, 10, 10]);
  });

  it('reports progress after each trial: trials done, best so far and an ETA from the mean trial time', async () => {
    const clock = fakeClock();
    const seen: StudyProgress[] = [];
    await runStudy({
      space,
      sampler: createRandomSampler(),
      direction: 'minimize',
      maxTrials: 5,
      seed: 6,
      clock,
      objective: async (trial) => {
        clock.advance(1000);
        return quadratic(trial);
      },
      onTrialDone: (_trial, progress) => seen.push(progress),
    });
    expect(seen.map((p) => p.trialsDone)).toEqual([1, 2, 3, 4, 5]);
    expect(seen.map((p) => p.etaMs)).toEqual([4000, 3000, 2000, 1000, 0]);
    expect(seen[1]!.best!.value).toBeLessThanOrEqual(seen[0]!.best!.value);
    expect(formatProgress(seen[1]!)).toMatch(/^trials 2\/5 \(0 pruned, 0 failed\), best [0-9.e-]+ \(#[01]\), ETA 3s$/);
  });

  it('resumes from recorded trials and samples what the uninterrupted study would have', async () => {
    const options = { space, sampler: createTpeSampler({ nStartupTrials: 3 }), direction: 'minimize' as const, seed: 11, objective: quadratic };
    const full = await runStudy({ ...options, maxTrials: 12 });
    const firstHalf = await runStudy({ ...options, maxTrials: 6 });
    const interrupted: TrialRecord = { id: 6, state: 'running', params: { x: 0.9 }, intermediate: new Map(), startedAtMs: 0 };
    const resumed = await runStudy({ ...options, maxTrials: 12, previousTrials: firstHalf.trials });
    expect(resumed.trials.map((t) => t.params)).toEqual(full.trials.map((t) => t.params));

    const afterCrash = await runStudy({ ...options, maxTrials: 8, previousTrials: [...firstHalf.trials, interrupted] });
    expect(afterCrash.trials[6]).toMatchObject({ state: 'failed', error: 'interrupted' });
    expect(afterCrash.trials.map((t) => t.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('starts nothing once aborted', async () => {
    const controller = new AbortController();
    const result = await runStudy({
      space,
      sampler: createRandomSampler(),
      direction: 'minimize',
      maxTrials: 10,
      seed: 1,
      signal: controller.signal,
      objective: async (trial) => {
        if (trial.id === 2) controller.abort();
        return quadratic(trial);
      },
    });
    expect(result.trials).toHaveLength(3);
    expect(result.stopReason).toBe('aborted');
  });

  it('rejects bad budgets with the option named', async () => {
    await expect(runStudy({ space, sampler: createRandomSampler(), direction: 'minimize', maxTrials: 0, seed: 1, objective: quadratic })).rejects.toMatchObject({ path: '/maxTrials' });
    await expect(runStudy({ space, sampler: createRandomSampler(), direction: 'minimize', maxTrials: 3, parallelism: 0, seed: 1, objective: quadratic })).rejects.toMatchObject({ path: '/parallelism' });
  });
});
