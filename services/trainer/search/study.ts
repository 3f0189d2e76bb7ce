/**
 * A study: sample params, run the objective, record the trial, repeat, with
 * up to `parallelism` objectives in flight, until the trial or time budget is
 * spent or the sampler has nothing left (grid). Orchestration only: the
 * objective (the trainer, through the executor) does the side effects.
 *
 * Determinism: trial i samples with its own generator seeded from
 * (seed, i), from the history as it stands when trial i starts. With
 * parallelism 1 that history is every earlier trial, finished, so a seed fixes
 * the whole study (given a deterministic objective), and a study resumed from
 * its recorded trials samples what the uninterrupted one would have. With
 * parallelism > 1, trial i sees the trials finished by then, in completion
 * order, which depends on timing: the params then vary between runs.
 */
import { errorMessage, systemClock, ValidationError, type Clock } from '../../common/index.js';
import { computeProgress, type StudyProgress } from './progress.js';
import { createRng } from './rng.js';
import type { Params, SearchSpace } from './space.js';
import { TrialPruned } from '../../common/index.js';
import { bestTrial, type Direction, type Pruner, type Sampler, type TrialRecord } from './types.js';

export interface TrialHandle {
  readonly id: number;
  readonly params: Params;
  /**
   * Records the metric at `step` (an integer >= 0, e.g. the epoch) and asks
   * the pruner; true means stop: the objective should call `prune()` (or
   * return early, which records the trial as complete). A step already
   * reported is ignored (Optuna does the same) and the pruner asked again.
   */
  report(step: number, value: number): boolean;
  /** Ends the trial as pruned: throws a TrialPruned that the study catches. */
  prune(): never;
}

export type StopReason = 'maxTrials' | 'maxTime' | 'exhausted' | 'aborted';

export interface StudyOptions {
  space: SearchSpace;
  sampler: Sampler;
  /** @default the pruner that never prunes */
  pruner?: Pruner;
  direction: Direction;
  /** Trials in all, resumed ones included. */
  maxTrials: number;
  /** No trial starts after this much time; running ones finish (their own timeouts are the executor's). */
  maxTimeMs?: number;
  /** Objectives in flight at once: the executor's slot count. @default 1 */
  parallelism?: number;
  /** Seeds every trial's sampling; integer. */
  seed: number;
  objective: (trial: TrialHandle) => Promise<number>;
  /** Called after every trial ends, in completion order; an exception here stops the study and rejects it. */
  onTrialDone?: (trial: TrialRecord, progress: StudyProgress) => void;
  /** @default systemClock */
  clock?: Clock;
  /** Aborting starts no further trial; running ones finish. */
  signal?: AbortSignal;
  /**
   * Trials recorded by an earlier run of this study (a resume): samplers and
   * pruners see them, new ids follow theirs. Ones still `running` there were
   * interrupted and are taken as failed.
   */
  previousTrials?: readonly TrialRecord[];
}

export interface StudyResult {
  /** Every trial, in id order. */
  trials: TrialRecord[];
  /** The best complete trial: the candidate to keep or retrain. */
  best: TrialRecord | undefined;
  stopReason: StopReason;
  progress: StudyProgress;
}

/** 32-bit seed for trial `id`: a murmur3-style finaliser over (seed, id), so neighbouring trials get unrelated streams. */
export function trialSeed(seed: number, id: number): number {
  let h = (seed ^ Math.imul(id + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function validate(options: StudyOptions): void {
  if (!Number.isInteger(options.maxTrials) || options.maxTrials < 1) throw new ValidationError('/maxTrials', `must be an integer >= 1, got ${options.maxTrials}`);
  const parallelism = options.parallelism ?? 1;
  if (!Number.isInteger(parallelism) || parallelism < 1) throw new ValidationError('/parallelism', `must be an integer >= 1, got ${parallelism}`);
  if (options.maxTimeMs !== undefined && !(options.maxTimeMs > 0)) throw new ValidationError('/maxTimeMs', `must be > 0, got ${options.maxTimeMs}`);
  if (!Number.isInteger(options.seed)) throw new ValidationError('/seed', `must be an integer, got ${options.seed}`);
  if (options.direction !== 'minimize' && options.direction !== 'maximize') {
    throw new ValidationError('/direction', `must be one of minimize, maximize, got ${JSON.stringify(options.direction)}`);
  }
}

export async function runStudy(options: StudyOptions): Promise<StudyResult> {
  validate(options);
  const { space, sampler, direction, maxTrials, objective, seed } = options;
  const pruner = options.pruner;
  const parallelism = options.parallelism ?? 1;
  const clock = options.clock ?? systemClock;
  const startedAtMs = clock.now();
  const deadlineMs = options.maxTimeMs === undefined ? undefined : startedAtMs + options.maxTimeMs;

  const trials: TrialRecord[] = (options.previousTrials ?? [])
    .map((t): TrialRecord => (t.state === 'running' ? { ...t, intermediate: new Map(t.intermediate), state: 'failed', error: 'interrupted' } : { ...t, intermediate: new Map(t.intermediate) }))
    .sort((a, b) => a.id - b.id);
  let nextId = trials.reduce((max, t) => Math.max(max, t.id + 1), 0);
  const durationsMs: number[] = [];
  let stopReason: StopReason | undefined;
  let fatal: { error: unknown } | undefined;

  const progress = (): StudyProgress => computeProgress({ trials, direction, maxTrials, parallelism, startedAtMs, nowMs: clock.now(), durationsMs, ...(deadlineMs === undefined ? {} : { deadlineMs }) });

  const whyStop = (): StopReason | undefined => {
    if (options.signal?.aborted) return 'aborted';
    if (trials.length >= maxTrials) return 'maxTrials';
    if (deadlineMs !== undefined && clock.now() >= deadlineMs) return 'maxTime';
    if (sampler.isExhausted?.(space, trials)) return 'exhausted';
    return undefined;
  };

  const runTrial = async (record: TrialRecord): Promise<void> => {
    let lastStep: number | undefined;
    const handle: TrialHandle = {
      id: record.id,
      params: record.params,
      report(step, value) {
        if (!Number.isInteger(step) || step < 0) throw new ValidationError('/step', `must be an integer >= 0, got ${step}`);
        if (typeof value !== 'number') throw new ValidationError('/value', `must be a number, got ${typeof value}`);
        if (!record.intermediate.has(step)) record.intermediate.set(step, value);
        lastStep = lastStep === undefined ? step : Math.max(lastStep, step);
        return pruner?.shouldPrune(record, step, trials, direction) ?? false;
      },
      prune() {
        throw new TrialPruned(record.id, lastStep);
      },
    };
    try {
      const value = await objective(handle);
      if (typeof value !== 'number' || Number.isNaN(value)) {
        record.state = 'failed';
        record.error = `the objective returned ${String(value)}, not a number`;
      } else {
        record.state = 'complete';
        record.value = value;
      }
    } catch (err) {
      if (err instanceof TrialPruned && err.trialId === record.id) {
        record.state = 'pruned';
        if (lastStep !== undefined) {
          const last = record.intermediate.get(lastStep)!;
          if (!Number.isNaN(last)) record.value = last;
        }
      } else {
        record.state = 'failed';
        record.error = errorMessage(err);
      }
    }
    record.finishedAtMs = clock.now();
    record.durationMs = record.finishedAtMs - record.startedAtMs;
    durationsMs.push(record.durationMs);
  };

  const worker = async (): Promise<void> => {
    while (fatal === undefined) {
      const reason = whyStop();
      if (reason !== undefined) {
        stopReason ??= reason;
        return;
      }
      const id = nextId++;
      let record: TrialRecord;
      try {
        const params = sampler.sample(space, trials, createRng(trialSeed(seed, id)), direction);
        record = { id, state: 'running', params, intermediate: new Map(), startedAtMs: clock.now() };
      } catch (error) {
        // A sampler that cannot sample (a grid without gridPoints) is a bad study, not a bad trial.
        fatal = { error };
        return;
      }
      trials.push(record);
      await runTrial(record);
      try {
        options.onTrialDone?.(record, progress());
      } catch (error) {
        fatal ??= { error };
      }
    }
  };

  await Promise.all(Array.from({ length: parallelism }, () => worker()));
  if (fatal !== undefined) throw fatal.error;
  trials.sort((a, b) => a.id - b.id);
  return { trials, best: bestTrial(trials, direction), stopReason: stopReason ?? 'maxTrials', progress: progress() };
}
