import { ConflictError } from '../common/index.js';

/**
 * The life of a retraining run, in one place. Side effects (snapshot, trials,
 * artifacts) live in activities; this only says which state may follow which.
 *
 *   queued ──► snapshot ──► searching ──► training ──► done
 *      │           │            │             │
 *      └───────────┴────────────┴─────────────┴──► failed | cancelled
 *
 * A trainer that restarts finds non-terminal runs and either resumes them
 * (re-entering the state they were in: every activity is idempotent in the
 * run id) or fails them with the reason; no run stays in between.
 */
export const RUN_STATES = ['queued', 'snapshot', 'searching', 'training', 'done', 'failed', 'cancelled'] as const;
export type RunState = (typeof RUN_STATES)[number];

export const TERMINAL_STATES: ReadonlySet<RunState> = new Set(['done', 'failed', 'cancelled']);

const NEXT: Readonly<Record<RunState, readonly RunState[]>> = {
  queued: ['snapshot', 'failed', 'cancelled'],
  snapshot: ['searching', 'failed', 'cancelled'],
  searching: ['training', 'failed', 'cancelled'],
  training: ['done', 'failed', 'cancelled'],
  done: [],
  failed: [],
  cancelled: [],
};

export function isTerminal(state: RunState): boolean {
  return TERMINAL_STATES.has(state);
}

export function canTransition(from: RunState, to: RunState): boolean {
  return NEXT[from].includes(to);
}

/** Throws ConflictError (409) naming both states unless `to` may follow `from`. */
export function assertTransition(runId: string, from: RunState, to: RunState): void {
  if (!canTransition(from, to)) {
    const allowed = NEXT[from].length ? NEXT[from].join(', ') : 'nothing (terminal)';
    throw new ConflictError(`run ${runId} cannot go from ${from} to ${to} (allowed: ${allowed})`);
  }
}
