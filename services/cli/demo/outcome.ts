import type { LoopEvents } from './timeline.js';

/** How a retrain the drift monitor asked for ended, and when (wall-clock ms). */
export interface LoopOutcome {
  runId: string;
  kind: 'promoted' | 'rolled_back' | 'rejected' | 'failed';
  /** The version the run became, when it was registered. */
  version: string | null;
  at: number;
  reason: string;
}

/** The first run not started by hand (the drift monitor's), if it asked for one. */
export function automaticRun(events: LoopEvents): LoopEvents['retrain-requests'][number] | undefined {
  return events['retrain-requests'].find((r) => r.cause.kind !== 'manual');
}

/** How run `runId` ended: failed, its candidate rejected, or its rollout promoted or rolled back. Null while it is still going. */
export function runOutcome(events: LoopEvents, runId: string): LoopOutcome | null {
  const version = events['registry-events'].find((e) => e.run_id === runId && e.action === 'registered')?.version ?? null;
  const failed = events['training-results'].find((r) => r.run_id === runId && (r.state === 'failed' || r.state === 'cancelled'));
  if (failed) return { runId, kind: 'failed', version, at: failed.ts, reason: failed.message };
  const rejected = events.evaluations.find((e) => e.run_id === runId && e.decision !== 'register');
  if (rejected) return { runId, kind: 'rejected', version, at: rejected.ts, reason: rejected.reason };
  const ended = events['rollout-events'].find((e) => e.run_id === runId && (e.state === 'promoted' || e.state === 'rolled_back'));
  if (ended) return { runId, kind: ended.state as 'promoted' | 'rolled_back', version: ended.version, at: ended.ts, reason: ended.reason };
  return null;
}

/**
 * The end of the automatic part of the loop's story: how the first
 * drift-caused run ended. Null while it is still going (or has not started).
 */
export function loopOutcome(events: LoopEvents): LoopOutcome | null {
  const request = automaticRun(events);
  return request ? runOutcome(events, request.run_id) : null;
}

/** The automatic run being trained or evaluated (requested, neither rolled out nor ended), if any. */
export function runInTraining(events: LoopEvents): string | null {
  const rolledOut = new Set(events['rollout-events'].map((e) => e.run_id));
  const run = events['retrain-requests'].find((r) => r.cause.kind !== 'manual' && !rolledOut.has(r.run_id) && !runOutcome(events, r.run_id));
  return run?.run_id ?? null;
}

/** Every automatic retrain of the replay, by how it ended ('open': still going when the replay ended). */
export interface RetrainTally {
  requested: number;
  promoted: number;
  rejected: number;
  rolledBack: number;
  failed: number;
  open: number;
}

/** Outcomes after `until` (wall-clock ms: the replay's end, when a rollout has no traffic left to judge) count as still going. */
export function retrainTally(events: LoopEvents, until = Number.POSITIVE_INFINITY): RetrainTally {
  const tally: RetrainTally = { requested: 0, promoted: 0, rejected: 0, rolledBack: 0, failed: 0, open: 0 };
  for (const r of events['retrain-requests']) {
    if (r.cause.kind === 'manual') continue;
    tally.requested++;
    const outcome = runOutcome(events, r.run_id);
    const kind = outcome && outcome.at <= until ? outcome.kind : null;
    if (kind === 'promoted') tally.promoted++;
    else if (kind === 'rejected') tally.rejected++;
    else if (kind === 'rolled_back') tally.rolledBack++;
    else if (kind === 'failed') tally.failed++;
    else tally.open++;
  }
  return tally;
}
