import type { ClickHouse, Clock, Logger } from '../common/index.js';
import type { ReferenceProfile, ServedPart } from './profile.js';
import { buildServedPart, countServed } from './reference.js';
import { saveProfile } from './store.js';

/** How much served traffic completes a profile: the model's policy (`minWindowRows`, `minLabeledRows`). */
export interface ServedThresholds {
  /** Champion predictions of the version before its score and class distributions are built. */
  minRows: number;
  /** Labeled ones among them before its reference performance is. */
  minLabeledRows: number;
  /** Event time served since the promotion before the prediction part is built. */
  minServedMs: number;
  /** Reference chunks the adaptive thresholds are measured on (0: none, for a policy in fixed mode). @default 10 */
  adaptiveChunks?: number;
}

/** What the served traffic so far completes: nothing yet, or the prediction part, with or without the reference performance. */
export type ServedStep = { build: false } | { build: true; performance: boolean };

/**
 * Pure: whether a profile awaiting `awaiting` is completed now, given the
 * version's champion predictions (and labeled ones) over the `servedMs` since
 * its promotion. The prediction part waits for `minServedMs` of traffic and
 * `minRows` predictions; the performance for
 * `minLabeledRows` labeled ones, and never holds the prediction part back
 * (labels may trail by days, or never come).
 */
export function servedStep(awaiting: ServedPart['awaiting'], counts: { predictions: number; labeled: number; servedMs: number }, thresholds: ServedThresholds): ServedStep {
  const labeled = counts.labeled >= thresholds.minLabeledRows;
  if (awaiting === 'predictions') return counts.predictions >= thresholds.minRows && counts.servedMs >= thresholds.minServedMs ? { build: true, performance: labeled } : { build: false };
  if (awaiting === 'performance') return labeled ? { build: true, performance: true } : { build: false };
  return { build: false };
}

/** Pure: what a completed profile still awaits: the performance of a classifier (it has a positive class) built without it, else nothing. */
export function awaitingAfter(part: Pick<ReferenceProfile, 'positiveLabel' | 'performance'>): ServedPart['awaiting'] {
  return part.positiveLabel !== null && part.performance === null ? 'performance' : null;
}

export interface ServedReferenceDeps {
  clickhouse: ClickHouse;
  clock: Clock;
  logger: Logger;
  thresholds(model: string): ServedThresholds;
}

export interface ServedReferences {
  /**
   * Completes `profile` from what its version served as champion in
   * [`served.from`, `to`) when that is enough, stores it under the same id and
   * returns it; null when there is nothing to complete or not enough yet.
   */
  complete(profile: ReferenceProfile, to: number): Promise<ReferenceProfile | null>;
}

/**
 * Completes a new champion's features-only reference (promotion-reference.ts)
 * from the traffic the champion serves itself: once it has served long enough
 * (`servedMs`, a whole daily cycle by default, so its reference spans the
 * cycle its windows will see) and answered enough events (variant
 * `champion`, its own `model_version`) since its promotion,
 * the profile gets the score and class distributions of those answers, and,
 * once enough of them are labeled, the reference accuracy; from then on
 * windows judge prediction drift and accuracy drop again.
 *
 * The completed profile keeps its id and `monitor_from` and is stored again
 * (one insert, a later `built_at` replaces the rows): it is the same reference
 * of the same promotion, with the part that could not come from the training
 * window. The monitor calls this between windows with `to` = the start of the
 * next undecided window, so the served range is whole decided windows, the
 * change applies from the next window on, and no decided window is redone.
 * State is the stored profile's `served` part: a restart reads what is still
 * awaited from ClickHouse and resumes at the same window end, so a completion
 * interrupted mid-build is done again with the same range, and a completed
 * one is never built twice.
 */
export function createServedReferences(deps: ServedReferenceDeps): ServedReferences {
  const { clickhouse: ch } = deps;
  return {
    async complete(profile, to) {
      const served = profile.served;
      if (!served?.awaiting || to <= served.from || to <= (served.to ?? -Infinity)) return null;
      const thresholds = deps.thresholds(profile.model);
      // Too short a span: nothing to count yet.
      if (served.awaiting === 'predictions' && to - served.from < thresholds.minServedMs) return null;
      const counts = await countServed(ch, { model: profile.model, modelVersion: profile.modelVersion, from: served.from, to });
      const step = servedStep(served.awaiting, { ...counts, servedMs: to - served.from }, thresholds);
      if (!step.build) return null;
      const part = await buildServedPart(ch, profile, { from: served.from, to, performance: step.performance, ...(thresholds.adaptiveChunks === undefined ? {} : { adaptiveChunks: thresholds.adaptiveChunks }) });
      const completed: ReferenceProfile = { ...profile, ...part, builtAt: Math.max(deps.clock.now(), profile.builtAt + 1), served: { from: served.from, to, awaiting: awaitingAfter(part) } };
      await saveProfile(ch, completed);
      deps.logger.info(
        {
          model: profile.model, version: profile.modelVersion, profile_id: profile.profileId, served_from: served.from, served_to: to, predictions: counts.predictions, labeled: counts.labeled,
          accuracy: completed.performance?.accuracy ?? null, awaiting: completed.served?.awaiting ?? null,
        },
        completed.performance ? 'reference completed from the champion\'s own traffic: prediction drift and accuracy checked from here on' : 'reference completed from the champion\'s own traffic: prediction drift checked from here on',
      );
      return completed;
    },
  };
}
