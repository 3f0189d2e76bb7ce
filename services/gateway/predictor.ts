import { performance } from 'node:perf_hooks';
import { OverloadedError, ValidationError, errorMessage, type Clock, type Logger } from '../common/index.js';
import type { FeatureRow } from '../trainer/builtin/index.js';
import type { Deployment } from './deployment.js';
import type { EmitTicket, Emitter } from './emitter.js';
import type { GatewayMetrics } from './metrics.js';
import { mostOutlyingFeature, rowIsFinite } from './scores.js';
import { createShadowQueue, type ShadowQueue } from './shadow-queue.js';
import { routesToCanary } from './traffic-split.js';
import type { Instance, InstanceResult, Scores, Variant } from './types.js';
import type { LoadedVersion } from './version-cache.js';

export interface PredictorDeps {
  emitter: Emitter;
  metrics: GatewayMetrics;
  logger: Logger;
  clock: Clock;
  /** entity: entity_id (event_id without one) keeps a caller on one variant; event: every event is split afresh. */
  stickyKey: 'entity' | 'event';
  shadowQueueCapacity: number;
}

export interface Predictor {
  /**
   * Scores `instances` on the deployment the request entered: each goes to
   * the champion or, by its sticky key's hash, the canary; once every one is
   * scored, the request's features and every variant's prediction are queued
   * for Kafka; a shadow, when there is one, scores a copy after the response.
   * Throws UnscorableInstanceError, emitting nothing, when a model answers an
   * instance with a non-finite probability.
   */
  predict(deployment: Deployment, instances: readonly Instance[], startedAt: number, eventTime?: number): Promise<InstanceResult[]>;
  /** Resolves once queued shadow work ran. */
  shadowIdle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A model answered NaN or an infinity for instance `index`: its values lie so
 * far beyond the training range that the arithmetic overflowed. A client
 * error (400); the route restates `path` in its protocol's terms from `index`
 * and `feature` (the most outlying numeric feature, when there is one).
 */
export class UnscorableInstanceError extends ValidationError {
  constructor(
    readonly index: number,
    readonly feature: string | null,
    readonly reason: string,
  ) {
    super(`instance ${index}`, reason);
  }
}

/** The error for instance `index` (`row`), which `version` answered with NaN, naming the feature that most likely overflowed it. */
function unscorable(version: LoadedVersion, row: Instance, index: number): UnscorableInstanceError {
  const worst = mostOutlyingFeature(version.scorer.preprocessing, row.features);
  const because = worst
    ? `: feature ${worst.name} = ${worst.value} standardizes to ${worst.standardized}, too far from what the model was trained on`
    : '';
  return new UnscorableInstanceError(index, worst?.name ?? null, `model version ${version.version} answers a non-finite probability for this instance${because}`);
}

/** How long mirrored requests wait for others to be scored with them, and how many go together at most. */
const SHADOW_BATCH_DELAY_MS = 5;
const SHADOW_MAX_BATCH = 256;

/** Rows `offset`..`offset + n` of `scores`. */
function sliceScores(scores: Scores, offset: number, n: number): Scores {
  const k = scores.classes.length;
  return { classes: scores.classes, probabilities: scores.probabilities.subarray(offset * k, (offset + n) * k), labels: scores.labels.slice(offset, offset + n), scores: scores.scores.subarray(offset, offset + n) };
}

interface ShadowJob {
  deployment: Deployment;
  shadow: LoadedVersion;
  instances: readonly Instance[];
  /** The request's event time, when a trusted caller gave one: the mirrored answers are stamped with it too. */
  eventTime: number | undefined;
}

export function createPredictor(deps: PredictorDeps): Predictor {
  const { emitter, metrics, clock } = deps;
  const log = deps.logger.child({ component: 'predictor' });

  /**
   * `eventTime`: the request's, when a trusted caller gave one; else the answer is stamped now.
   * `keep`: the rows to emit (a shadow leaves out those it answered with NaN).
   */
  function emitPredictions(
    sink: Pick<Emitter, 'emit'>, model: string, version: string, variant: Variant, instances: readonly Instance[], scores: Scores, latencyMs: number, eventTime: number | undefined, keep: (i: number) => boolean = () => true,
  ): void {
    const ts = eventTime ?? clock.now();
    instances.forEach((inst, i) => {
      if (!keep(i)) return;
      sink.emit('predictions', inst.eventId, {
        event_id: inst.eventId, model, ts, model_version: version, variant, entity_id: inst.entityId, prediction: scores.labels[i]!, score: scores.scores[i]!, latency_ms: latencyMs,
      });
    });
    metrics.instances.inc({ model, variant }, instances.length);
  }

  async function scoreTimed(v: LoadedVersion, instances: readonly Instance[]): Promise<{ scores: Scores; ms: number }> {
    const t0 = performance.now();
    const scores = await v.scorer.score(instances.map((x): FeatureRow => x.features));
    return { scores, ms: performance.now() - t0 };
  }

  /** Mirrored requests scored together: one model call per shadow version per batch. */
  async function runShadow(jobs: ShadowJob[]): Promise<void> {
    const byVersion = new Map<LoadedVersion, ShadowJob[]>();
    for (const job of jobs) {
      let list = byVersion.get(job.shadow);
      if (!list) byVersion.set(job.shadow, (list = []));
      list.push(job);
    }
    try {
      for (const [shadow, group] of byVersion) {
        const instances = group.flatMap((j) => j.instances);
        try {
          const { scores, ms } = await scoreTimed(shadow, instances);
          let offset = 0;
          for (const job of group) {
            const n = job.instances.length;
            const sliced = sliceScores(scores, offset, n);
            const finite = (i: number): boolean => rowIsFinite(sliced, i);
            const dropped = job.instances.filter((_, i) => !finite(i)).length;
            // The answer the shadow cannot give is left out, never emitted as NaN; the request itself was answered.
            if (dropped > 0) log.warn({ model: job.deployment.model, version: shadow.version, dropped }, 'shadow answered non-finite probabilities');
            // Best effort: a mirrored answer takes what room is left, and is dropped (counted) when there is none.
            emitPredictions(emitter, job.deployment.model, shadow.version, 'shadow', job.instances, sliced, ms, job.eventTime, finite);
            metrics.requestSeconds.observe({ model: job.deployment.model, variant: 'shadow' }, ms / 1000);
            offset += n;
          }
        } catch (err) {
          log.warn({ model: group[0]!.deployment.model, version: shadow.version, err: errorMessage(err) }, 'shadow scoring failed');
        }
      }
    } finally {
      for (const job of jobs) job.deployment.leave();
      metrics.shadowQueueDepth.set(shadowQueue.depth - jobs.length);
    }
  }

  const shadowQueue: ShadowQueue<ShadowJob> = createShadowQueue<ShadowJob>({
    capacity: deps.shadowQueueCapacity,
    batchDelayMs: SHADOW_BATCH_DELAY_MS,
    maxBatch: SHADOW_MAX_BATCH,
    run: runShadow,
    onDropped: ({ deployment }) => {
      deployment.leave();
      metrics.shadowDropped.inc({ model: deployment.model });
    },
  });

  type Group = { variant: 'champion' | 'canary'; version: LoadedVersion; indices: number[] };

  /** Scores and answers a request whose events have room (`ticket`). */
  async function predictAdmitted(
    deployment: Deployment, instances: readonly Instance[], startedAt: number, eventTime: number | undefined, groups: Group[], ticket: EmitTicket,
  ): Promise<InstanceResult[]> {
    const { model } = deployment;
    const results = new Array<InstanceResult>(instances.length);
    const ts = eventTime ?? clock.now();
    const scored = await Promise.all(
      groups
        .filter((g) => g.indices.length > 0)
        .map(async (g) => {
          const rows = g.indices.map((i) => instances[i]!);
          return { ...g, rows, ...(await scoreTimed(g.version, rows)) };
        }),
    );
    // Every answer is checked before anything is emitted: a refused request leaves no events behind.
    for (const g of scored) {
      const j = g.rows.findIndex((_, j) => !rowIsFinite(g.scores, j));
      if (j >= 0) throw unscorable(g.version, g.rows[j]!, g.indices[j]!);
    }
    for (const x of instances) {
      ticket.emit('features', x.eventId, { event_id: x.eventId, model, ts, entity_id: x.entityId, numeric: x.features.numeric, categorical: x.features.categorical });
    }
    for (const { variant, version, indices, rows, scores, ms } of scored) {
      const k = scores.classes.length;
      indices.forEach((i, j) => {
        const x = instances[i]!;
        results[i] = {
          eventId: x.eventId, entityId: x.entityId, variant, version: version.version, label: scores.labels[j]!, score: scores.scores[j]!,
          classes: scores.classes, probabilities: scores.probabilities.subarray(j * k, (j + 1) * k),
        };
      });
      emitPredictions(ticket, model, version.version, variant, rows, scores, ms, eventTime);
    }
    const seconds = (performance.now() - startedAt) / 1000;
    for (const g of groups) if (g.indices.length > 0) metrics.requestSeconds.observe({ model, variant: g.variant }, seconds);

    if (deployment.shadow) {
      deployment.enter();
      if (shadowQueue.offer({ deployment, shadow: deployment.shadow.version, instances, eventTime })) metrics.shadowQueueDepth.set(shadowQueue.depth);
    }
    return results;
  }

  const stickyKeyOf = (x: Instance): string => (deps.stickyKey === 'entity' ? (x.entityId ?? x.eventId) : x.eventId);

  return {
    async predict(deployment, instances, startedAt, eventTime) {
      const { model, champion, canary } = deployment;
      const toCanary = canary ? instances.map((x) => routesToCanary(model, canary.rolloutId, stickyKeyOf(x), canary.weight)) : null;
      const groups: Group[] = [{ variant: 'champion', version: champion, indices: [] }];
      if (canary) groups.push({ variant: 'canary', version: canary.version, indices: [] });
      instances.forEach((_, i) => groups[toCanary?.[i] ? 1 : 0]!.indices.push(i));

      // Room for the request's events (its features, and one answer per instance) before any work: a request the
      // gateway could answer but not record is refused with 503, never answered 200 with its events dropped.
      const ticket = emitter.admit(2 * instances.length);
      if (!ticket) {
        metrics.shed.inc({ model });
        throw new OverloadedError(`the gateway cannot record more events right now (${emitter.pending} waiting for Kafka); retry shortly`);
      }
      try {
        return await predictAdmitted(deployment, instances, startedAt, eventTime, groups, ticket);
      } finally {
        ticket.release();
      }
    },
    shadowIdle: () => shadowQueue.idle(),
    close: () => shadowQueue.close(),
  };
}
