import { ConfigError, ShutdownError, errorMessage, systemClock, type ServiceDeps } from '../common/index.js';
import type { Deployment } from './deployment.js';
import { createEmitter, type Emitter } from './emitter.js';
import { createEventEncoder, type EncodeEvent } from './event-encoder.js';
import { loadVersion } from './load-version.js';
import { gatewayMetrics, type GatewayMetrics } from './metrics.js';
import { readModelPlans } from './plan-store.js';
import { createPlanWatcher, type PlanWatcher, type RefreshTrigger } from './plan-watcher.js';
import { createPredictor, type Predictor } from './predictor.js';
import { createServingTable, type ModelEntry, type ServingTable } from './serving-table.js';
import type { Instance, InstanceResult } from './types.js';
import { createVersionCache } from './version-cache.js';

export interface GatewaySettings {
  topicPrefix: string;
  groupId: string;
  planRefreshMs: number;
  maxInstances: number;
  shadowQueueCapacity: number;
  emitBufferCapacity: number;
  emitBatchWaitMs: number;
  /** @default 'reject' */
  overload?: 'reject' | 'drop';
  stickyKey: 'entity' | 'event';
  /** A lower-case request header whose value (epoch ms or ISO-8601) stamps the request's events; empty: the clock. @default '' */
  eventTimeHeader?: string;
}

export type GatewayDeps = ServiceDeps<GatewaySettings>;

export interface GatewayService {
  readonly settings: GatewaySettings;
  start(): Promise<void>;
  /** Stops hearing changes, lets queued shadow work finish, sends the buffered events. */
  stop(): Promise<void>;
  /** Throws until the serving plan was read once. */
  checkReady(): void;
  /** The deployment a request for `model` uses (404 / 503 errors otherwise); `enter` it before use and `leave` after. */
  lookup(model: string): Deployment;
  /** `eventTime`: when the request's events happened (a trusted caller's, see eventTimeHeader); default the clock. */
  predict(deployment: Deployment, instances: readonly Instance[], startedAt: number, eventTime?: number): Promise<InstanceResult[]>;
  /** Re-reads the plan now (every model when `models` is empty). */
  refresh(models?: readonly string[]): Promise<void>;
  models(): ReadonlyMap<string, ModelEntry>;
  /** Whether a model name is one the gateway knows (for metric labels). */
  knows(model: string): boolean;
  /** Resolves once queued shadow work ran and every buffered event was produced. */
  idle(): Promise<void>;
  readonly metrics: GatewayMetrics;
}

/**
 * The prediction gateway: serves each model's champion, its canary share and
 * shadow mirror as the release tables plan them, swapping deployments whole
 * when the plan changes, and emits every request's features and every
 * variant's prediction to Kafka.
 */
export function createGatewayService(deps: GatewayDeps): GatewayService {
  const { settings } = deps;
  // A request of the largest size must fit, or it could never be admitted.
  if (settings.emitBufferCapacity < 2 * settings.maxInstances) {
    throw new ConfigError('GATEWAY_EMIT_BUFFER_CAPACITY', `must be at least twice GATEWAY_MAX_INSTANCES (${2 * settings.maxInstances}): a request's features and answers must fit; got ${settings.emitBufferCapacity}`);
  }
  const log = deps.logger.child({ service: 'gateway' });
  const metrics = gatewayMetrics(deps.metrics);
  const cache = createVersionCache({ load: loadVersion, onCloseError: (err) => log.warn({ err: errorMessage(err) }, 'closing a retired model failed') });
  const table: ServingTable = createServingTable({
    readPlans: (models) => readModelPlans(deps.clickhouse, models),
    cache,
    logger: log,
    onSwap(model, previous, next) {
      const served = (d: Deployment | null): [string, string][] =>
        d ? [['champion', d.champion.version], ...(d.canary ? [['canary', d.canary.version.version] as [string, string]] : []), ...(d.shadow ? [['shadow', d.shadow.version.version] as [string, string]] : [])] : [];
      for (const [variant, version] of served(previous)) metrics.servedVersion.remove({ model, variant, version });
      for (const [variant, version] of served(next)) metrics.servedVersion.set({ model, variant, version }, 1);
      metrics.canaryWeight.set({ model }, next?.canary?.weight ?? 0);
    },
    onLoadFailed: (model) => metrics.loadFailures.inc({ model }),
  });
  let encode: EncodeEvent = () => {
    throw new Error('the gateway has not started');
  };
  const emitter: Emitter = createEmitter({
    bus: deps.bus,
    encode: (topic, event) => encode(topic, event),
    topicPrefix: settings.topicPrefix,
    logger: log,
    capacity: settings.emitBufferCapacity,
    batchWaitMs: settings.emitBatchWaitMs,
    overload: settings.overload ?? 'reject',
    onDropped: (topic, count, reason) => metrics.emitDropped.inc({ topic, reason }, count),
    onSent: (topic, count) => metrics.emitted.inc({ topic }, count),
  });
  const predictor: Predictor = createPredictor({
    emitter,
    metrics,
    logger: log,
    clock: deps.clock ?? systemClock,
    stickyKey: settings.stickyKey,
    shadowQueueCapacity: settings.shadowQueueCapacity,
  });
  const refresh = async (models: readonly string[], trigger: RefreshTrigger): Promise<void> => {
    try {
      await table.refresh(models);
      metrics.planRefreshes.inc({ trigger, outcome: 'ok' });
    } catch (err) {
      metrics.planRefreshes.inc({ trigger, outcome: 'failed' });
      throw err;
    }
  };
  let watcher: PlanWatcher | null = null;
  let stopped = false;

  return {
    settings,
    metrics,
    async start() {
      stopped = false;
      encode = await createEventEncoder(deps.codec);
      watcher = createPlanWatcher({ bus: deps.bus, codec: deps.codec, topicPrefix: settings.topicPrefix, groupId: settings.groupId, pollIntervalMs: settings.planRefreshMs, logger: log, refresh });
      // Listening first, so a change made while the plan is read is heard.
      await watcher.start();
      await refresh([], 'start').catch((err: unknown) => log.error({ err: errorMessage(err) }, 'could not read the serving plan; retrying on the poll'));
      log.info({ models: [...table.entries().keys()] }, 'gateway serving');
    },
    async stop() {
      stopped = true;
      await watcher?.stop();
      watcher = null;
      await predictor.close();
      await emitter.close();
      table.close();
    },
    checkReady() {
      if (!table.initialized) throw new Error('the serving plan has not been read yet');
    },
    lookup(model) {
      if (stopped) throw new ShutdownError('the gateway is stopping');
      return table.lookup(model);
    },
    predict: (deployment, instances, startedAt, eventTime) => predictor.predict(deployment, instances, startedAt, eventTime),
    refresh: (models = []) => refresh(models, 'event'),
    models: () => table.entries(),
    knows: (model) => table.entries().has(model),
    async idle() {
      await predictor.shadowIdle();
      await emitter.flush();
    },
  };
}
