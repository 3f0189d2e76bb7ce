import type { ClickHouse } from '../common/index.js';
import { createDetector, type ChangeDetector, type DetectorName } from './detectors/index.js';
import type { WindowVerdict } from './policy.js';
import type { ReferenceProfile } from './profile.js';
import { firstLabelsSince } from './sql/labels.js';

/**
 * The champion's labeled answers of a model in [from, to) of event time, in
 * order: 1 for a wrong answer, 0 for a right one (a label counts once, the
 * first ingested). What the error-rate change detectors read.
 */
export async function championErrors(ch: ClickHouse, model: string, from: number, to: number): Promise<number[]> {
  const rows = await ch.query<{ wrong: number }>(
    `SELECT toUInt8(p.prediction != l.label) AS wrong
     FROM {db:Identifier}.predictions AS p
     INNER JOIN (${firstLabelsSince('from')}) AS l ON p.event_id = l.event_id
     WHERE p.model = {model:String} AND p.variant = 'champion'
       AND p.ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND p.ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
     ORDER BY p.ts, p.event_id`,
    { model, from, to },
  );
  return rows.map((r) => Number(r.wrong));
}

/** Pure: feeds the errors to the detector in order; whether it detected a change at any of them. */
export function detectChange(detector: ChangeDetector, errors: readonly number[]): boolean {
  let changed = false;
  for (const e of errors) if (detector.update(e)) changed = true;
  return changed;
}

/**
 * Pure: a window's verdict with the error detector's say added. A change in
 * the champion's error rate is a retrain (cause `performance`) where the
 * window's own statistics did not already ask for one.
 */
export function withErrorChange(verdict: WindowVerdict, changed: boolean, detector: string): WindowVerdict {
  if (!changed || verdict.decision === 'retrain') return verdict;
  return { ...verdict, decision: 'retrain', cause: 'performance', reasons: [...verdict.reasons, `${detector} detected a change in the champion's error rate`] };
}

/** A model's error-rate change detector, following the reference profile in force. */
export interface ErrorWatch {
  /**
   * Feeds the champion's labeled answers of the window [start, end) and says
   * whether the detector saw a change in them. A new profile (a new champion)
   * gets a fresh detector, caught up from the profile's start, so a restarted
   * monitor (or a replay) reaches the same state as one that ran throughout.
   */
  changedIn(profile: Pick<ReferenceProfile, 'model' | 'profileId' | 'monitorFrom'>, start: number, end: number): Promise<boolean>;
}

export function createErrorWatch(ch: ClickHouse, name: DetectorName): ErrorWatch {
  let detector: ChangeDetector | null = null;
  let profileId: string | null = null;
  return {
    async changedIn(profile, start, end) {
      if (!detector || profileId !== profile.profileId) {
        detector = createDetector(name);
        profileId = profile.profileId;
        if (start > profile.monitorFrom) detectChange(detector, await championErrors(ch, profile.model, profile.monitorFrom, start));
      }
      return detectChange(detector, await championErrors(ch, profile.model, start, end));
    },
  };
}
