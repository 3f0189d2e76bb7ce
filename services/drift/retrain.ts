import { createHash, randomUUID } from 'node:crypto';
import { topicName } from '../../schemas/index.js';
import { fromDateTime64Text, toDateTime64Text, type ClickHouse, type Clock, type EventBus, type EventCodec, type Logger } from '../common/index.js';
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
  /** A run with no terminal state after this long no longer blocks a new one. */
  openRunTimeoutMs: number;
  onOutcome?(input: RetrainInput, outcome: RetrainOutcome): void;
}

/** Deterministic in the model and cause: a replayed cause names the same run. */
export function runIdFor(model: string, cause: RetrainCause): string {
  return `run-${createHash('sha256').update(`${model}\n${cause.kind}\n${cause.ref}`).digest('hex').slice(0, 20)}`;
}

const TERMINAL = ['done', 'failed', 'cancelled'];

/**
 * Opens retraining runs: at most one open run per model, requests made one at
 * a time per model (so a burst of causes cannot race into two runs), the
 * event published before it is recorded (a crash in between republishes the
 * same run id, which the trainer joins).
 */
export function createRetrainRequester(deps: RetrainRequesterDeps): RetrainRequester {
  const queues = new Map<string, Promise<unknown>>();
  const serial = <T>(model: string, fn: () => Promise<T>): Promise<T> => {
    const next = (queues.get(model) ?? Promise.resolve()).then(fn, fn);
    queues.set(model, next.catch(() => undefined));
    return next;
  };

  async function request(input: RetrainInput): Promise<RetrainOutcome> {
    const { model, cause } = input;
    const runId = runIdFor(model, cause);
    const now = deps.clock.now();
    const [state] = await deps.clickhouse.query<{ requests: string; same: string; open_run: string; last_ts: string }>(
      `SELECT count() AS requests,
              countIf(r.run_id = {run:String}) AS same,
              argMaxIf(r.run_id, r.ts, s.run_id = '' AND r.ts > fromUnixTimestamp64Milli({openSince:Int64}, 'UTC')) AS open_run,
              toString(max(r.ts)) AS last_ts
       FROM (SELECT * FROM {db:Identifier}.retrain_requests FINAL WHERE model = {model:String}) AS r
       LEFT JOIN (SELECT DISTINCT run_id FROM {db:Identifier}.retrain_run_states WHERE model = {model:String} AND state IN {terminal:Array(String)}) AS s ON r.run_id = s.run_id
       SETTINGS join_use_nulls = 0`,
      { model, run: runId, openSince: now - deps.openRunTimeoutMs, terminal: TERMINAL },
    );
    const requested = Number(state?.requests ?? 0) > 0;
    let outcome: RetrainOutcome;
    if (Number(state?.same ?? 0) > 0) outcome = { runId, status: 'joined' };
    else if (state?.open_run) outcome = { runId: state.open_run, status: 'joined' };
    else if (cause.kind !== 'manual' && requested && fromDateTime64Text(state!.last_ts) > now - deps.cooldownMs(model)) {
      // The last run is closed but recent: a person can still ask (manual), automation waits.
      outcome = { runId, status: 'cooldown' };
    } else {
      const event = { event_id: randomUUID(), model, ts: now, run_id: runId, cause, requested_by: input.requestedBy, params: input.params ?? {} };
      const producer = await deps.bus.producer();
      await producer.send(topicName(deps.topicPrefix, 'retrain-requests'), [{ key: model, value: await deps.codec.encode('retrain-requests', event) }]);
      await deps.clickhouse.insertObjects('retrain_requests', [{
        run_id: runId, model, ts: toDateTime64Text(now), cause_kind: cause.kind, cause_ref: cause.ref, cause_detail: cause.detail, requested_by: input.requestedBy, params: input.params ?? {},
      }]);
      deps.logger.info({ model, run_id: runId, cause: cause.kind, ref: cause.ref }, 'retrain requested');
      outcome = { runId, status: 'opened' };
    }
    deps.onOutcome?.(input, outcome);
    return outcome;
  }

  return {
    request: (input) => serial(input.model, () => request(input)),
    knowsModel: (model) => deps.knowsModel(model),
  };
}
