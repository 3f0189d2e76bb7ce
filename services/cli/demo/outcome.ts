import type { LoopEvents } from './timeline.js';

/** How the retrain the drift asked for ended, and when (wall-clock ms). */
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

/**
 * The end of the automatic part of the loop: the drift-caused run failed,
 * its candidate was rejected, or its rollout promoted or rolled back. Null
 * while it is still going (or has not started).
 */
export function loopOutcome(events: LoopEvents): LoopOutcome | null {
  const request = automaticRun(events);
  if (!request) return null;
  const runId = request.run_id;
  const version = events['registry-events'].find((e) => e.run_id === runId && e.action === 'registered')?.version ?? null;
  const failed = events['training-results'].find((r) => r.run_id === runId && (r.state === 'failed' || r.state === 'cancelled'));
  if (failed) return { runId, kind: 'failed', version, at: failed.ts, reason: failed.message };
  const rejected = events.evaluations.find((e) => e.run_id === runId && e.decision !== 'register');
  if (rejected) return { runId, kind: 'rejected', version, at: rejected.ts, reason: rejected.reason };
  const ended = events['rollout-events'].find((e) => e.run_id === runId && (e.state === 'promoted' || e.state === 'rolled_back'));
  if (ended) return { runId, kind: ended.state as 'promoted' | 'rolled_back', version: ended.version, at: ended.ts, reason: ended.reason };
  return null;
}
