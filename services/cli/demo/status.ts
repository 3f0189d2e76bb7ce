import { ELEC2_START_MS, HALF_HOUR_MS } from './elec2.js';
import type { Replay } from './replay.js';
import { driftText, featureDrift, percent, shortRun } from './story.js';
import type { LoopEvents } from './timeline.js';

/** The Elec2 date of a record index. */
export const elec2Date = (index: number): string => new Date(ELEC2_START_MS + index * HALF_HOUR_MS).toISOString().slice(0, 10);

/** The Elec2 record of an event time (the demo stamps every event with its record's time). */
export const elec2Index = (ms: number): number => Math.floor((ms - ELEC2_START_MS) / HALF_HOUR_MS);

/** "1997-05-09 #17,912": where in Elec2 a record is. */
export const streamPlace = (index: number): string => `${elec2Date(index)} #${index.toLocaleString('en-US')}`;

export const elapsed = (since: number, now = Date.now()): string => `${((now - since) / 1000).toFixed(1).padStart(5)}s`;

/**
 * The demo's one-line status: elapsed time, what the demo is doing, the
 * stream position and recent accuracy, the latest window's PSI per feature
 * (* = drifted by the decisive test), the newest run's state and the rollout.
 */
export function statusLine(input: { startedAt: number; phase: string; replay: Replay | undefined; events: LoopEvents; firstRunId: string | undefined }): string {
  const { replay, events } = input;
  const parts = [`[${elapsed(input.startedAt)}] ${input.phase}`];
  if (replay) {
    const recent = replay.answers.slice(-500);
    const accuracy = recent.length ? recent.filter((a) => a.correct).length / recent.length : Number.NaN;
    parts.push(`${streamPlace(replay.position)} answered ${replay.answered.toLocaleString('en-US')} acc ${Number.isFinite(accuracy) ? accuracy.toFixed(2) : '-'}${replay.failures ? ` failed ${replay.failures}` : ''}`);
  }
  const reports = events['drift-reports'];
  const last = reports.at(-1);
  if (last) parts.push(`w${reports.length} ${driftText(featureDrift(last))} ${last.decision}`);
  const run = events['training-results'].at(-1);
  if (run && run.run_id !== input.firstRunId) parts.push(`run ${shortRun(run.run_id)} ${run.state}`);
  const rollout = events['rollout-events'].at(-1);
  if (rollout) parts.push(`v${rollout.version} ${rollout.state === 'running' ? `${rollout.phase}${rollout.phase === 'canary' ? ` ${percent(rollout.weight)}` : ''}` : rollout.state}`);
  return parts.join(' | ');
}
