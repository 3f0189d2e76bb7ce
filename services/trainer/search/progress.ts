/** What the study reports after each trial, for progress output (trials done, best so far, ETA). */
import type { Params } from './space.js';
import type { Direction, TrialRecord } from './types.js';
import { bestTrial } from './types.js';

export interface StudyProgress {
  /** Finished trials (complete, pruned or failed), resumed ones included. */
  trialsDone: number;
  trialsRunning: number;
  maxTrials: number;
  complete: number;
  pruned: number;
  failed: number;
  best?: { id: number; value: number; params: Params };
  elapsedMs: number;
  /** Mean duration of the trials this run finished. */
  meanTrialMs: number;
  /**
   * Estimated time to the end: the trials left (up to maxTrials) times the
   * mean trial time, divided among the parallel slots; capped by the time
   * budget (no trial starts after it, running ones finish). Undefined before
   * the first trial finishes.
   */
  etaMs?: number;
}

export interface ProgressInput {
  trials: readonly TrialRecord[];
  direction: Direction;
  maxTrials: number;
  parallelism: number;
  startedAtMs: number;
  nowMs: number;
  deadlineMs?: number;
  /** Durations of the trials finished in this run (resumed ones have no comparable timing). */
  durationsMs: readonly number[];
}

export function computeProgress(input: ProgressInput): StudyProgress {
  const count = (state: TrialRecord['state']): number => input.trials.filter((t) => t.state === state).length;
  const complete = count('complete');
  const pruned = count('pruned');
  const failed = count('failed');
  const running = count('running');
  const done = complete + pruned + failed;
  const best = bestTrial(input.trials, input.direction);
  const meanTrialMs = input.durationsMs.length === 0 ? 0 : input.durationsMs.reduce((s, d) => s + d, 0) / input.durationsMs.length;

  let etaMs: number | undefined;
  if (input.durationsMs.length > 0) {
    const left = Math.max(0, input.maxTrials - done);
    etaMs = (left * meanTrialMs) / input.parallelism;
    if (input.deadlineMs !== undefined) etaMs = Math.min(etaMs, Math.max(0, input.deadlineMs - input.nowMs) + (running > 0 ? meanTrialMs : 0));
    if (left === 0) etaMs = 0;
  }
  return {
    trialsDone: done,
    trialsRunning: running,
    maxTrials: input.maxTrials,
    complete,
    pruned,
    failed,
    ...(best === undefined ? {} : { best: { id: best.id, value: best.value!, params: best.params } }),
    elapsedMs: input.nowMs - input.startedAtMs,
    meanTrialMs,
    ...(etaMs === undefined ? {} : { etaMs }),
  };
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** One line, e.g. `trials 12/100 (3 pruned, 1 failed, 2 running), best 0.1234 (#7), ETA 4m 12s`. */
export function formatProgress(p: StudyProgress): string {
  const extras = [`${p.pruned} pruned`, `${p.failed} failed`, ...(p.trialsRunning > 0 ? [`${p.trialsRunning} running`] : [])];
  const best = p.best === undefined ? 'no complete trial yet' : `best ${p.best.value.toPrecision(6)} (#${p.best.id})`;
  const eta = p.etaMs === undefined ? '' : `, ETA ${formatDuration(p.etaMs)}`;
  return `trials ${p.trialsDone}/${p.maxTrials} (${extras.join(', ')}), ${best}${eta}`;
}
