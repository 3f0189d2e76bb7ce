import { topicName } from '../../schemas/index.js';
import type { EventBus, EventCodec } from '../common/index.js';
import type { RolloutRecord } from './store.js';
import type { WebhookSender } from './webhooks.js';

/** `phase` and `state` of a rollout-events event (the contract's enums, schemas/avro/rollout-events.avsc). */
export type EventPhase = 'shadow' | 'canary' | 'promoted' | 'rolled_back' | 'paused';
export type EventState = 'started' | 'passed' | 'failed' | 'awaiting_approval' | 'promoted' | 'rolled_back' | 'paused' | 'resumed';
/** The event a stored revision publishes: its `phase` and `state`. */
export type RolloutEventKind = [EventPhase, EventState];

/** What started the candidate's run, from its registry version: the link back for lineage. */
export interface RolloutCause {
  kind: string;
  ref: string;
  detail: string;
}

export interface RolloutEvent {
  event_id: string;
  model: string;
  ts: number;
  run_id: string;
  cause: RolloutCause;
  version: string;
  champion_version: string | null;
  phase: EventPhase;
  step: number;
  weight: number;
  state: EventState;
  reason: string;
  checks: { name: string; passed: boolean; value: number; threshold: number }[];
}

export interface EventSink {
  bus: EventBus;
  codec: EventCodec;
  topicPrefix: string;
  webhooks?: WebhookSender;
}

/**
 * The event of a stored revision. Its id is the rollout id and the revision,
 * so a receiver can drop a repeat; only judged checks travel (the table keeps
 * the not-judged ones with their reason).
 */
export function rolloutEvent(r: RolloutRecord, cause: RolloutCause, phase: EventPhase, state: EventState): RolloutEvent {
  return {
    event_id: `${r.rolloutId}#${r.revision}`,
    model: r.model,
    ts: r.updatedAt,
    run_id: r.runId,
    cause,
    version: r.version,
    champion_version: r.championVersion,
    phase,
    step: r.step,
    weight: r.weight,
    state,
    reason: r.reason,
    checks: r.checks.filter((c) => !c.detail.startsWith('not judged')).map(({ name, passed, value, threshold }) => ({ name, passed, value, threshold })),
  };
}

/** Publishes on rollout-events (keyed by model) and posts to the webhooks. */
export async function publishRolloutEvent(sink: EventSink, event: RolloutEvent): Promise<void> {
  const producer = await sink.bus.producer();
  await producer.send(topicName(sink.topicPrefix, 'rollout-events'), [{ key: event.model, value: await sink.codec.encode('rollout-events', event) }]);
  sink.webhooks?.post(event.event_id, event);
}
