import { ACTIVE_ROLLOUT_STATES, ROLLOUT_STATES, type RolloutState } from '../../schemas/index.js';
import { ConflictError } from '../common/index.js';

/**
 * The life of a rollout, in one place (the `rollouts` table's `state`). Side
 * effects (analysis SQL, alias moves, events) live in the controller; this
 * only says which state may follow which.
 *
 *   running ──► running (next step, or an analysis that holds the step)
 *      │  ▲
 *      │  └── paused ◄── (pause)      paused ──► running (resume)
 *      ├──► awaiting_approval ──► promoted      (manual gate, approve)
 *      ├──► promoted                             (all steps passed, or promote)
 *      └──► rolled_back                          (failed checks, rollback, superseded)
 *
 *   promoted ──► rolled_back   only by a manual rollback of the champion
 *                              (the alias goes back to previous-champion)
 */
export { ROLLOUT_STATES, type RolloutState };

/** shadow: mirrored traffic, weight 0; canary: a share of live traffic; done: promoted or rolled back. */
export const ROLLOUT_PHASES = ['shadow', 'canary', 'done'] as const;
export type RolloutPhase = (typeof ROLLOUT_PHASES)[number];

/** States in which the candidate still takes traffic (or mirrored traffic) and the rollout can change. */
export const ACTIVE_STATES: ReadonlySet<RolloutState> = new Set(ACTIVE_ROLLOUT_STATES);

const NEXT: Readonly<Record<RolloutState, readonly RolloutState[]>> = {
  running: ['running', 'paused', 'awaiting_approval', 'promoted', 'rolled_back'],
  paused: ['running', 'promoted', 'rolled_back'],
  awaiting_approval: ['promoted', 'rolled_back'],
  promoted: ['rolled_back'],
  rolled_back: [],
};

export function isActive(state: RolloutState): boolean {
  return ACTIVE_STATES.has(state);
}

export function canTransition(from: RolloutState, to: RolloutState): boolean {
  return NEXT[from].includes(to);
}

/** Throws ConflictError (409) naming both states unless `to` may follow `from`. */
export function assertTransition(what: string, from: RolloutState, to: RolloutState): void {
  if (!canTransition(from, to)) {
    const allowed = NEXT[from].length ? NEXT[from].join(', ') : 'nothing (terminal)';
    throw new ConflictError(`${what} is ${from}: it cannot become ${to} (allowed: ${allowed})`);
  }
}
