import { fromDateTime64Text as ms, toDateTime64Text as stamp, type ClickHouse } from '../common/index.js';
import type { Check } from './analysis.js';
import type { EventPhase, EventState, RolloutEventKind } from './events.js';
import { ACTIVE_STATES, type RolloutPhase, type RolloutState } from './states.js';

/** A stored check: what the table and the HTTP API show (`judged` folds into `detail`). */
export type StoredCheck = Omit<Check, 'judged'>;

/**
 * A rollout as the `rollouts` table holds it (its newest revision). The
 * gateway reads `state`, `phase` and `weight` from it.
 */
export interface RolloutRecord {
  rolloutId: string;
  model: string;
  version: string;
  championVersion: string | null;
  runId: string;
  revision: number;
  phase: RolloutPhase;
  /** 0: shadow; 1..steps.length: canary step (its weight is steps[step - 1]). */
  step: number;
  weight: number;
  state: RolloutState;
  reason: string;
  /** The canary weights this rollout runs (fixed when it starts). */
  steps: number[];
  /** Failed checks counted over the whole rollout; more than the failure threshold rolls back. */
  failedChecks: number;
  /** The latest analysis's checks. */
  checks: StoredCheck[];
  stepStartedAt: number;
  startedAt: number;
  /**
   * When this revision was written. For a running rollout it is also how far
   * the current step has been analysed: revisions are written at a step's
   * start (= stepStartedAt) or as of an analysis's deadline (see plan.ts).
   */
  updatedAt: number;
}

/** The id of the rollout of one version: a model's version is rolled out at most once. */
export function rolloutIdOf(model: string, version: string): string {
  return `${model}@${version}`;
}

/** Revisions only grow: one past the last, or the clock in µs when that is later. */
export function nextRevision(previous: number, now: number): number {
  return Math.max(previous + 1, now * 1000);
}

/**
 * Appends a revision (the caller sets `revision` with nextRevision) with the
 * event it publishes on rollout-events (null: none).
 */
export async function saveRollout(ch: ClickHouse, r: RolloutRecord, event: RolloutEventKind | null = null): Promise<void> {
  await ch.insertObjects('rollouts', [{
    rollout_id: r.rolloutId, model: r.model, version: r.version, champion_version: r.championVersion, run_id: r.runId, revision: r.revision, phase: r.phase, step: r.step,
    weight: r.weight, state: r.state, reason: r.reason, steps: r.steps, failed_checks: r.failedChecks,
    checks: r.checks.map((c) => ({ name: c.name, passed: c.passed, value: c.value, threshold: c.threshold, detail: c.detail })),
    step_started_at: stamp(r.stepStartedAt), started_at: stamp(r.startedAt), updated_at: stamp(r.updatedAt),
    event_phase: event?.[0] ?? '', event_state: event?.[1] ?? '',
  }]);
}

/** Records that the event of `revision` went out (infra/clickhouse/007_rollout_outbox.sql). */
export async function markPublished(ch: ClickHouse, rolloutId: string, revision: number, at: number): Promise<void> {
  await ch.insertObjects('rollout_published', [{ rollout_id: rolloutId, revision, published_at: stamp(at) }]);
}

/**
 * The newest revision of each rollout whose event was stored but never
 * marked published (a crash between the two), with that event, oldest first.
 */
export async function unpublishedRevisions(ch: ClickHouse): Promise<{ record: RolloutRecord; event: RolloutEventKind }[]> {
  const rows = await ch.query<RolloutRow & { event_phase: EventPhase; event_state: EventState }>(
    `SELECT * FROM {db:Identifier}.rollouts FINAL
     WHERE event_state != '' AND (rollout_id, revision) NOT IN (SELECT rollout_id, revision FROM {db:Identifier}.rollout_published)
     ORDER BY updated_at, revision`,
  );
  return rows.map((r) => ({ record: toRecord(r), event: [r.event_phase, r.event_state] }));
}

type CheckRow = [string, boolean, number, number, string] | { name: string; passed: boolean; value: number; threshold: number; detail: string };
interface RolloutRow {
  rollout_id: string; model: string; version: string; champion_version: string | null; run_id: string; revision: number | string; phase: RolloutPhase; step: number;
  weight: number; state: RolloutState; reason: string; steps: number[]; failed_checks: number | string; checks: CheckRow[]; step_started_at: string; started_at: string; updated_at: string;
}

const toCheck = (c: CheckRow): StoredCheck =>
  Array.isArray(c) ? { name: c[0], passed: Boolean(c[1]), value: Number(c[2]), threshold: Number(c[3]), detail: c[4] } : { ...c, passed: Boolean(c.passed), value: Number(c.value), threshold: Number(c.threshold) };

const toRecord = (r: RolloutRow): RolloutRecord => ({
  rolloutId: r.rollout_id, model: r.model, version: r.version, championVersion: r.champion_version, runId: r.run_id, revision: Number(r.revision), phase: r.phase,
  step: Number(r.step), weight: Number(r.weight), state: r.state, reason: r.reason, steps: r.steps.map(Number), failedChecks: Number(r.failed_checks), checks: r.checks.map(toCheck),
  stepStartedAt: ms(r.step_started_at), startedAt: ms(r.started_at), updatedAt: ms(r.updated_at),
});

/** Rollouts (newest revision each), optionally of one model or only active ones, newest first. */
export async function listRollouts(ch: ClickHouse, filter: { model?: string; rolloutId?: string; activeOnly?: boolean; limit?: number } = {}): Promise<RolloutRecord[]> {
  const rows = await ch.query<RolloutRow>(
    `SELECT * FROM {db:Identifier}.rollouts FINAL
     WHERE ({model:String} = '' OR model = {model:String}) AND ({id:String} = '' OR rollout_id = {id:String})
       AND (NOT {active:Bool} OR state IN {activeStates:Array(String)})
     ORDER BY started_at DESC, revision DESC LIMIT {limit:UInt32}`,
    { model: filter.model ?? '', id: filter.rolloutId ?? '', active: filter.activeOnly ?? false, activeStates: [...ACTIVE_STATES], limit: filter.limit ?? 1000 },
  );
  return rows.map(toRecord);
}

export async function getRollout(ch: ClickHouse, rolloutId: string): Promise<RolloutRecord | null> {
  return (await listRollouts(ch, { rolloutId, limit: 1 }))[0] ?? null;
}

/** The model's active rollout (running, paused or awaiting approval), if any. */
export async function activeRollout(ch: ClickHouse, model: string): Promise<RolloutRecord | null> {
  return (await listRollouts(ch, { model, activeOnly: true, limit: 1 }))[0] ?? null;
}

/** The model's active rollout, else its latest one. */
export async function currentRollout(ch: ClickHouse, model: string): Promise<RolloutRecord | null> {
  return (await activeRollout(ch, model)) ?? (await listRollouts(ch, { model, limit: 1 }))[0] ?? null;
}
