/**
 * The contract's named values that several services read or write: spelled
 * once here, as the topics' fields and the tables' columns hold them.
 */

/** The registry alias the gateway serves and every service means by "the champion". */
export const CHAMPION_ALIAS = 'champion';
/** The alias a promotion leaves on the version it replaced: a rollback of the champion returns to it. */
export const PREVIOUS_CHAMPION_ALIAS = 'previous-champion';

/** Who answered a prediction (`predictions.variant`): the champion, the canary's share, or the shadow's mirror. */
export const VARIANTS = ['champion', 'canary', 'shadow'] as const;
export type Variant = (typeof VARIANTS)[number];

/** A rollout's state (the `rollouts` table's `state`, rollout-events' `state`). */
export const ROLLOUT_STATES = ['running', 'paused', 'awaiting_approval', 'promoted', 'rolled_back'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];
/** States in which the candidate still takes traffic (or mirrored traffic) and the rollout can change. */
export const ACTIVE_ROLLOUT_STATES: readonly RolloutState[] = ['running', 'paused', 'awaiting_approval'];
/** States that end a rollout: its release is over. */
export const ENDED_ROLLOUT_STATES: readonly RolloutState[] = ['promoted', 'rolled_back'];

/** A drift window's decision (drift-reports' `decision`). */
export const DRIFT_DECISIONS = ['none', 'watch', 'retrain'] as const;
export type DriftDecision = (typeof DRIFT_DECISIONS)[number];
