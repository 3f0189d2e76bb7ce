import { createHash, randomUUID } from 'node:crypto';
import { ENDED_ROLLOUT_STATES, topicName } from '../../schemas/index.js';
import { createKeyedSerialQueue, fromDateTime64Text, toDateTime64Text, type ClickHouse, type Clock, type EventBus, type EventCodec, type Logger } from '../common/index.js';
import type { RetrainCause, RetrainInput, RetrainOutcome, RetrainRequester } from './types.js';

export interface RetrainRequesterDeps {
  clickhouse: ClickHouse;
  bus: EventBus;
  codec: EventCodec;
  topicPrefix: string;
  clock: Clock;
  logger: Logger;
  knowsModel(model: string): Promise<boolean>;
  /** Cooldown for the model's policy. */
  cooldownMs(model: string): number;
  /** Whether the model's policy lets automatic causes open runs. @default always */
  autoRetrain?(model: string): boolean;
  /** A run still open this long (processing time) after it was requested no longer blocks a new one. */
  openRunTimeoutMs: number;
  onOutcome?(input: RetrainInput, outcome: RetrainOutcome): void;
}

/** A window's report id: deterministic in the model, profile and window, so a replay names the same report (and run). */
export function driftReportId(model: string, profileId: string, start: number, end: number): string {
  return `drift-${createHash('sha256').update(`${model}\n${profileId}\n${start}\n${end}`).digest('hex').slice(0, 24)}`;
}

/** Deterministic in the model and cause: a replayed cause names the same run. */
export function runIdFor(model: string, cause: RetrainCause): string {
  return `run-${createHash('sha256').update(`${model}\n${cause.kind}\n${cause.ref}`).digest('hex').slice(0, 20)}`;
}

const TERMINAL = ['done', 'failed', 'cancelled'];

/** What a model's retrain requests so far say about a new cause. */
export interface RetrainHistory {
  /** This very cause (its run id) was requested before. */
  sameCause: boolean;
  /** A run still open, if any: training, or its candidate not yet evaluated, or its rollout not ended. */
  openRun: string | null;
  /** When the last run was requested, if ever. */
  lastRequestAt: number | null;
  /** The last run requested, if any: the one a cooldown answer names. */
  lastRunId?: string | null;
  /** How many of the latest runs failed, one after the other (0 when the last one did not). */
  failedInARow?: number;
}

/**
 * How long after a failed run the next automatic cause waits: a run that
 * failed (no labeled data yet, a bad spec, a crashed trainer) trained nothing,
 * so it must not hold the model for a whole cooldown. The first retry may
 * come after 1/16 of the cooldown, each further failure doubles the wait,
 * and it never exceeds the cooldown.
 */
export function failedRunBackoffMs(cooldownMs: number, failedInARow: number): number {
  return Math.min(cooldownMs, (cooldownMs / 16) * 2 ** Math.max(0, failedInARow - 1));
}

/**
 * Pure: whether a cause opens a run, joins the one open (or its own earlier
 * request), or is held back by the cooldown (automatic causes only: a person
 * can always ask), shortened to a backoff after failed runs. A cooldown answer
 * names the run that holds the request. The live requester and the backtest
 * both decide with it.
 */
export function retrainGate(kind: RetrainCause['kind'], runId: string, history: RetrainHistory, now: number, cooldownMs: number): RetrainOutcome {
  if (history.sameCause) return { runId, status: 'joined' };
  if (history.openRun) return { runId: history.openRun, status: 'joined' };
  const failed = history.failedInARow ?? 0;
  const holdMs = failed > 0 ? failedRunBackoffMs(cooldownMs, failed) : cooldownMs;
  if (kind !== 'manual' && history.lastRequestAt !== null && history.lastRequestAt > now - holdMs) return { runId: history.lastRunId ?? runId, status: 'cooldown' };
  return { runId, status: 'opened' };
}

/** Leading failures in run states ordered newest first ('' for a run with no terminal state yet). */
export function failuresInARow(statesNewestFirst: readonly string[]): number {
  const firstOther = statesNewestFirst.findIndex((state) => state !== 'failed');
  return firstOther < 0 ? statesNewestFirst.length : firstOther;
}

/**
 * Opens retraining runs: at most one open run per model, requests made one at
 * a time per model (so a burst of causes cannot race into two runs), the
 * event published before it is recorded (a crash in between republishes the
 * same run id, which the trainer joins). A run stays open until its release
 * is over: training failed or was cancelled, or it trained and its candidate
 * was rejected (by the evaluator, or as a version by a person), or its
 * rollout promoted or rolled it back.
 * A retrain opened during a canary would supersede the candidate being
 * judged, on data that is mostly the same; the backtest holds a pending
 * canary as the open run too.
 */
export function createRetrainRequester(deps: RetrainRequesterDeps): RetrainRequester {
  // One model's requests one at a time (check, then open); a model is forgotten once its queue runs dry.
  const queues = createKeyedSerialQueue();
  const serial = <T>(model: string, fn: () => Promise<T>): Promise<T> => queues.run(model, fn);

  /** The model's event time now: its newest feature event's (a cause without a time of its own, such as an alert). */
  async function eventNow(model: string): Promise<number> {
    const [row] = await deps.clickhouse.query<{ at: string }>(
      `SELECT toString(max(ts)) AS at FROM {db:Identifier}.features WHERE model = {model:String} HAVING count() > 0`,
      { model },
    );
    return row ? fromDateTime64Text(row.at) : deps.clock.now();
  }

  async function request(input: RetrainInput): Promise<RetrainOutcome> {
    const { model, cause } = input;
    const runId = runIdFor(model, cause);
    if (cause.kind !== 'manual' && deps.autoRetrain?.(model) === false) {
      const outcome: RetrainOutcome = { runId, status: 'off' };
      deps.onOutcome?.(input, outcome);
      return outcome;
    }
    // The cooldown compares event times (the cause's, and the requests' `ts`), so a replay decides as the live system did.
    const now = input.at ?? (await eventNow(model));
    const [state] = await deps.clickhouse.query<{ requests: string; same: string; open_run: string; last_ts: string; last_run: string; states: string[] }>(
      `SELECT count() AS requests,
              countIf(r.run_id = {run:String}) AS same,
              argMaxIf(r.run_id, r.ts, NOT (s.terminal IN ('failed', 'cancelled') OR (s.terminal = 'done' AND (e.decision = 'reject' OR v.status IN ('rejected', 'archived') OR o.state IN {ended:Array(String)})))
                                        AND r.recorded_at > fromUnixTimestamp64Milli({openSince:Int64}, 'UTC')) AS open_run,
              toString(max(r.ts)) AS last_ts,
              argMax(r.run_id, r.ts) AS last_run,
              arrayMap(x -> x.2, arrayReverseSort(x -> x.1, groupArray((r.ts, s.terminal)))) AS states
       FROM (SELECT * FROM {db:Identifier}.retrain_requests FINAL WHERE model = {model:String}) AS r
       LEFT JOIN (SELECT run_id, argMax(state, ts) AS terminal FROM {db:Identifier}.retrain_run_states
                  WHERE model = {model:String} AND state IN {terminal:Array(String)} GROUP BY run_id) AS s ON r.run_id = s.run_id
       LEFT JOIN (SELECT run_id, argMax(decision, created_at) AS decision FROM {db:Identifier}.evaluations WHERE model = {model:String} GROUP BY run_id) AS e ON r.run_id = e.run_id
       LEFT JOIN (SELECT run_id, argMax(status, revision) AS status FROM {db:Identifier}.model_versions WHERE model = {model:String} GROUP BY run_id) AS v ON r.run_id = v.run_id
       LEFT JOIN (SELECT run_id, argMax(state, revision) AS state FROM {db:Identifier}.rollouts WHERE model = {model:String} GROUP BY run_id) AS o ON r.run_id = o.run_id
       SETTINGS join_use_nulls = 0`,
      // Processing time, a safeguard: a run that never ends (its trainer gone) stops blocking new ones after the timeout.
      { model, run: runId, openSince: deps.clock.now() - deps.openRunTimeoutMs, terminal: TERMINAL, ended: ENDED_ROLLOUT_STATES },
    );
    const requested = Number(state?.requests ?? 0) > 0;
    const history: RetrainHistory = {
      sameCause: Number(state?.same ?? 0) > 0,
      openRun: state?.open_run || null,
      lastRequestAt: requested ? fromDateTime64Text(state!.last_ts) : null,
      lastRunId: requested ? state!.last_run : null,
      failedInARow: requested ? failuresInARow(state!.states) : 0,
    };
    const outcome = retrainGate(cause.kind, runId, history, now, deps.cooldownMs(model));
    if (outcome.status === 'opened') {
      const event = { event_id: randomUUID(), model, ts: now, run_id: runId, cause, requested_by: input.requestedBy, params: input.params ?? {} };
      const producer = await deps.bus.producer();
      await producer.send(topicName(deps.topicPrefix, 'retrain-requests'), [{ key: model, value: await deps.codec.encode('retrain-requests', event) }]);
      await deps.clickhouse.insertObjects('retrain_requests', [{
        run_id: runId, model, ts: toDateTime64Text(now), recorded_at: toDateTime64Text(deps.clock.now()), cause_kind: cause.kind, cause_ref: cause.ref, cause_detail: cause.detail, requested_by: input.requestedBy, params: input.params ?? {},
      }]);
      deps.logger.info({ model, run_id: runId, cause: cause.kind, ref: cause.ref }, 'retrain requested');
    }
    deps.onOutcome?.(input, outcome);
    return outcome;
  }

  return {
    request: (input) => serial(input.model, () => request(input)),
    knowsModel: (model) => deps.knowsModel(model),
  };
}
