import { counter, gauge, histogram, type Registry } from '../common/index.js';

type Counter = ReturnType<typeof counter>;
type Gauge = ReturnType<typeof gauge>;
type Histogram = ReturnType<typeof histogram>;

/** Latency buckets in seconds, fine below 10 ms where a gateway should live. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export interface GatewayMetrics {
  /** Time to answer a request (shadow: to score the mirrored request), by the variant that answered. */
  requestSeconds: Histogram;
  requests: Counter;
  instances: Counter;
  shadowDropped: Counter;
  shadowQueueDepth: Gauge;
  emitDropped: Counter;
  shed: Counter;
  emitted: Counter;
  /** 1 for each version a model serves now, by variant. */
  servedVersion: Gauge;
  canaryWeight: Gauge;
  loadFailures: Counter;
  planRefreshes: Counter;
}

export function gatewayMetrics(registry: Registry): GatewayMetrics {
  return {
    requestSeconds: histogram(registry, 'driftloop_gateway_request_seconds', 'Prediction request latency by the variant that answered (shadow: scoring the mirrored request).', ['model', 'variant'], LATENCY_BUCKETS),
    requests: counter(registry, 'driftloop_gateway_requests_total', 'Prediction API requests by protocol and HTTP status (model "unknown" for names the gateway does not serve).', ['model', 'protocol', 'status']),
    instances: counter(registry, 'driftloop_gateway_instances_total', 'Instances scored, by variant.', ['model', 'variant']),
    shadowDropped: counter(registry, 'driftloop_gateway_shadow_dropped_total', 'Requests not mirrored to the shadow version because the shadow queue was full.', ['model']),
    shadowQueueDepth: gauge(registry, 'driftloop_gateway_shadow_queue_depth', 'Requests waiting for or in shadow scoring.'),
    shed: counter(registry, 'driftloop_gateway_shed_total', 'Requests refused with 503 because their events had no room in the emit buffer (GATEWAY_OVERLOAD=reject).', ['model']),
    emitDropped: counter(registry, 'driftloop_gateway_emit_dropped_total', 'Feature and prediction events not produced to Kafka, by reason (buffer_full, invalid, send_failed).', ['topic', 'reason']),
    emitted: counter(registry, 'driftloop_gateway_emitted_total', 'Feature and prediction events produced to Kafka.', ['topic']),
    servedVersion: gauge(registry, 'driftloop_gateway_model_version_loaded', '1 for each model version being served, by variant (champion, canary, shadow).', ['model', 'variant', 'version']),
    canaryWeight: gauge(registry, 'driftloop_gateway_canary_weight', 'Share of traffic the canary answers (0 without a canary).', ['model']),
    loadFailures: counter(registry, 'driftloop_gateway_model_load_failures_total', 'Planned deployments that could not be loaded (missing artifact, sha256 mismatch, bad model); the previous one kept serving.', ['model']),
    planRefreshes: counter(registry, 'driftloop_gateway_plan_refreshes_total', 'Serving plan re-reads by trigger (start, event, poll) and outcome.', ['trigger', 'outcome']),
  };
}
