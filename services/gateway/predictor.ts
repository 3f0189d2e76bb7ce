import { performance } from 'node:perf_hooks';
import { errorMessage, type Clock, type Logger } from '../common/index.js';
import type { FeatureRow } from '../trainer/builtin/index.js';
import type { Deployment } from './deployment.js';
import type { Emitter } from './emitter.js';
import type { GatewayMetrics } from './metrics.js';
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
   * the champion or, by its sticky key's hash, the canary; the request's
   * features and every variant's prediction are queued for Kafka; a shadow,
   * when there is one, scores a copy after the response.
   */
  predict(deployment: Deployment, instances: readonly Instance[], startedAt: number, eventTime?: number): Promise<InstanceResult[]>;
  /** Resolves once queued shadow work ran. */
  shadowIdle(): Promise<void>;
  close(): Promise<void>;
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

  /** `eventTime`: the request's, when a trusted caller gave one; else the answer is stamped now. */
  function emitPredictions(model: string, version: string, variant: Variant, instances: readonly Instance[], scores: Scores, latencyMs: number, eventTime: number | undefined): void {
    const ts = eventTime ?? clock.now();
    instances.forEach((inst, i) => {
      emitter.emit('predictions', inst.eventId, {
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
            emitPredictions(job.deployment.model, shadow.version, 'shadow', job.instances, sliceScores(scores, offset, n), ms, job.eventTime);
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

  const stickyKeyOf = (x: Instance): string => (deps.stickyKey === 'entity' ? (x.entityId ?? x.eventId) : x.eventId);

  return {
    async predict(deployment, instances, startedAt, eventTime) {
      const { model, champion, canary } = deployment;
      const toCanary = canary ? instances.map((x) => routesToCanary(model, canary.rolloutId, stickyKeyOf(x), canary.weight)) : null;
      const groups: { variant: 'champion' | 'canary'; version: LoadedVersion; indices: number[] }[] = [{ variant: 'champion', version: champion, indices: [] }];
      if (canary) groups.push({ variant: 'canary', version: canary.version, indices: [] });
      instances.forEach((_, i) => groups[toCanary?.[i] ? 1 : 0]!.indices.push(i));

      const results = new Array<InstanceResult>(instances.length);
      const ts = eventTime ?? clock.now();
      for (const x of instances) {
        emitter.emit('features', x.eventId, { event_id: x.eventId, model, ts, entity_id: x.entityId, numeric: x.features.numeric, categorical: x.features.categorical });
      }
      await Promise.all(
        groups
          .filter((g) => g.indices.length > 0)
          .map(async (g) => {
            const rows = g.indices.map((i) => instances[i]!);
            const { scores, ms } = await scoreTimed(g.version, rows);
            const k = scores.classes.length;
            g.indices.forEach((i, j) => {
              const x = instances[i]!;
              results[i] = {
                eventId: x.eventId, entityId: x.entityId, variant: g.variant, version: g.version.version, label: scores.labels[j]!, score: scores.scores[j]!,
                classes: scores.classes, probabilities: scores.probabilities.subarray(j * k, (j + 1) * k),
              };
            });
            emitPredictions(model, g.version.version, g.variant, rows, scores, ms, eventTime);
          }),
      );
      const seconds = (performance.now() - startedAt) / 1000;
      for (const g of groups) if (g.indices.length > 0) metrics.requestSeconds.observe({ model, variant: g.variant }, seconds);

      if (deployment.shadow) {
        deployment.enter();
        if (shadowQueue.offer({ deployment, shadow: deployment.shadow.version, instances, eventTime })) metrics.shadowQueueDepth.set(shadowQueue.depth);
      }
      return results;
    },
    shadowIdle: () => shadowQueue.idle(),
    close: () => shadowQueue.close(),
  };
}
