import { opt } from '../common/index.js';

/** Options of the prediction gateway (README "Configuration" lists them with the common ones). */
export const gatewayOptions = {
  gatewayGroupId: opt.string({
    env: 'GATEWAY_GROUP_ID',
    doc: 'Prefix of the Kafka consumer group the gateway hears registry-events and rollout-events with; each process joins <prefix>.<host>.<pid>, so every replica hears every change.',
    default: 'driftloop-gateway',
    pattern: /^[A-Za-z0-9._-]{1,200}$/,
  }),
  gatewayPlanRefreshMs: opt.int({
    env: 'GATEWAY_PLAN_REFRESH_MS',
    doc: 'How often the serving plan (champions, rollouts) is re-read from ClickHouse besides on every registry or rollout event: the safety net for a missed event.',
    default: 5000,
    min: 100,
    max: 3_600_000,
  }),
  gatewayMaxInstances: opt.int({
    env: 'GATEWAY_MAX_INSTANCES',
    doc: 'Most instances (rows) one prediction request may hold; more is a 400.',
    default: 1000,
    min: 1,
    max: 100_000,
  }),
  gatewayShadowQueueCapacity: opt.int({
    env: 'GATEWAY_SHADOW_QUEUE_CAPACITY',
    doc: 'Requests waiting to be scored by the shadow version, at most; a request arriving at a full queue is not mirrored (driftloop_gateway_shadow_dropped_total).',
    default: 1000,
    min: 0,
    max: 1_000_000,
  }),
  gatewayEmitBufferCapacity: opt.int({
    env: 'GATEWAY_EMIT_BUFFER_CAPACITY',
    doc: 'Feature and prediction events waiting to be produced to Kafka, at most (at least twice GATEWAY_MAX_INSTANCES). What happens to a request whose events do not fit is GATEWAY_OVERLOAD.',
    default: 100_000,
    min: 1,
    max: 10_000_000,
  }),
  gatewayOverload: opt.enum({
    env: 'GATEWAY_OVERLOAD',
    doc: "When the emit buffer has no room for a request's events: reject answers 503 with Retry-After before any work (driftloop_gateway_shed_total), so every answered request is recorded; drop answers it and drops the events that do not fit (driftloop_gateway_emit_dropped_total), for when serving matters more than the loop's data.",
    values: ['reject', 'drop'] as const,
    default: 'reject',
  }),
  gatewayEmitBatchWaitMs: opt.int({
    env: 'GATEWAY_EMIT_BATCH_WAIT_MS',
    doc: 'Longest an event waits in the buffer before its batch is produced.',
    default: 20,
    min: 0,
    max: 60_000,
  }),
  gatewayApiKeys: opt.list({
    env: 'GATEWAY_API_KEYS',
    doc: 'Set: the predict routes (POST /v1/models/<m>:predict, /v2/models/<m>/infer) need one of these keys, as Authorization: Bearer <key> or X-API-Key: <key>. Empty: open, as behind a KServe or Seldon ingress that authenticates.',
    default: [],
    secret: true,
  }),
  gatewayEventTimeHeader: opt.string({
    env: 'GATEWAY_EVENT_TIME_HEADER',
    doc: "A request header (e.g. x-driftloop-event-time) whose value, epoch ms or ISO-8601, stamps the request's feature and prediction events instead of the gateway's clock: for a trusted caller that replays history in its own time (the demo), so windows, cooldowns and schedules mean what they say. Empty: the clock, always; leave it empty where callers are not trusted.",
    default: '',
    pattern: /^([a-z0-9][a-z0-9-]{0,63})?$/,
  }),
  gatewayStickyKey: opt.enum({
    env: 'GATEWAY_STICKY_KEY',
    doc: 'What keeps a caller on one variant during a canary: entity (the instance\'s entity_id, its event_id when it has none) or event (the event_id: every request is split afresh).',
    values: ['entity', 'event'] as const,
    default: 'entity',
  }),
};
