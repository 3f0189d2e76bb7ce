import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Runtime } from '../../../services/cli/runtime.js';
import { createMetricsRegistry, silentLogger, type Clock } from '../../../services/common/index.js';
import { createRegistry, type ModelVersion, type Registry } from '../../../services/registry/index.js';
import { createRolloutController, getRollout, rolloutIdOf, type RolloutController, type RolloutRecord, type RolloutSettings, type WebhookSender } from '../../../services/rollout/index.js';
import { insertLabels, insertPredictions, type PredictionRow } from '../../support/drift-data.js';
import { tempDir, uniqueName, waitFor } from '../../support/index.js';

/** Time the tests drive: analyses fall due only when a test moves it. */
export interface FakeClock extends Clock {
  t: number;
  advance(ms: number): number;
}

export function fakeClock(start: number): FakeClock {
  return {
    t: start,
    now() {
      return this.t;
    },
    advance(ms) {
      this.t += ms;
      return this.t;
    },
  };
}

/** The real registry, approving what it registers (REGISTRY_APPROVAL=auto). */
export async function testRegistry(runtime: Runtime, clock: Clock): Promise<Registry> {
  return createRegistry({
    clickhouse: runtime.clickhouse, bus: runtime.bus, codec: runtime.codec, topicPrefix: runtime.config.topicPrefix, clock, logger: silentLogger(),
    artifactsDir: await tempDir(), approval: 'auto',
  });
}

/** Registers (and so approves) the next version of `model` with a tiny artifact, as the evaluator would. */
export async function seedVersion(registry: Registry, model: string, runId: string, cause: { kind: string; ref: string; detail?: string } = { kind: 'drift', ref: `drift-${runId}` }): Promise<ModelVersion> {
  const dir = await tempDir();
  const body = JSON.stringify({ kind: 'test-model', runId });
  await writeFile(join(dir, 'model.json'), body);
  return registry.register({
    model, runId, dataVersion: `sha256:data-${runId}`, evaluationId: `eval-${runId}`, cause, artifacts: { model: join(dir, 'model.json') },
    modelSha256: createHash('sha256').update(body).digest('hex'), metrics: { accuracy: 0.8 },
  });
}

export const INTERVAL_MS = 60_000;

/** A controller on the runtime's engines with short steps and small sample minimums; the tests tick it. */
export function testController(runtime: Runtime, registry: Registry, clock: Clock, overrides: Partial<RolloutSettings> = {}, webhooks?: WebhookSender): RolloutController {
  return createRolloutController({
    bus: runtime.bus, clickhouse: runtime.clickhouse, codec: runtime.codec, logger: silentLogger(), metrics: createMetricsRegistry({ processMetrics: false }), registry, clock, webhooks,
    settings: {
      topicPrefix: runtime.config.topicPrefix,
      groupId: uniqueName('rollout'),
      // Only the tests' tick() analyses, so each step is decided where the test says.
      pollIntervalMs: 3_600_000,
      plan: { steps: [0.01, 0.1, 0.5, 1], shadowDurationMs: INTERVAL_MS, analysisIntervalMs: INTERVAL_MS, maxStepExtensions: 2 },
      thresholds: { minSamples: 200, minLabeledSamples: 100, errorRateRatio: 1.5, errorRateMargin: 0.01, latencyRatio: 1.5, latencyMarginMs: 5, maxAccuracyDrop: 0.02, accuracyConfidence: 0.95, maxPredictionPsi: 0.2, minAgreement: 0.8 },
      failureThreshold: 0,
      manualGate: false,
      ...overrides,
    },
  });
}

export interface Traffic {
  from: number;
  to: number;
  championVersion: string;
  candidateVersion: string;
  variant: 'shadow' | 'canary';
  /** Requests per variant. @default 400 */
  requests?: number;
  /** Whether the champion answers too: not at a 100% canary step, as with the gateway. @default true */
  champion?: boolean;
  /** Share of the variant's requests that fail (empty prediction, no score), in whole percent. @default 0.02 */
  championErrorRate?: number;
  candidateErrorRate?: number;
  /** The events' own time when a caller replays history (GATEWAY_EVENT_TIME_HEADER): half-hourly from here; they are still served over [from, to). */
  replayedFrom?: number;
}

/**
 * What the gateway would have emitted over [from, to): champion and candidate
 * predictions (in shadow the same events answered by both, in canary
 * disjoint events) with latency and score, and a label for each event.
 * Both variants answer alike unless their error rates differ: a candidate
 * as good as the champion.
 */
export async function serve(runtime: Runtime, model: string, t: Traffic): Promise<void> {
  const n = t.requests ?? 400;
  const tag = uniqueName('ev');
  const rows: PredictionRow[] = [];
  const labels: { event_id: string; ts: number; label: string; ingested_at: number }[] = [];
  const answer = (i: number, errorRate: number) => {
    const failed = i % 100 < Math.round(errorRate * 100);
    const score = ((i * 37) % 100) / 100;
    return { prediction: failed ? '' : score >= 0.5 ? 'UP' : 'DOWN', score: failed ? null : score, latency_ms: 10 + ((i * 13) % 20) };
  };
  for (let i = 0; i < n; i++) {
    const servedAt = t.from + Math.floor(((t.to - t.from) * i) / n);
    const ts = t.replayedFrom === undefined ? servedAt : t.replayedFrom + i * 1_800_000;
    const champion = `${tag}-${i}`;
    const candidate = t.variant === 'shadow' ? champion : `${tag}-c${i}`;
    const served = { ts, ingested_at: servedAt };
    if (t.champion !== false) rows.push({ event_id: champion, ...served, variant: 'champion', model_version: t.championVersion, ...answer(i, t.championErrorRate ?? 0.02) });
    rows.push({ event_id: candidate, ...served, variant: t.variant, model_version: t.candidateVersion, ...answer(i, t.candidateErrorRate ?? 0.02) });
    // Right 80% of the time, for both.
    const truth = (i * 37) % 100 >= 50 ? 'UP' : 'DOWN';
    const label = i % 5 === 0 ? (truth === 'UP' ? 'DOWN' : 'UP') : truth;
    if (t.champion !== false) labels.push({ event_id: champion, ts: ts + 1000, label, ingested_at: servedAt + 1000 });
    if (candidate !== champion) labels.push({ event_id: candidate, ts: ts + 1000, label, ingested_at: servedAt + 1000 });
  }
  await insertPredictions(runtime.clickhouse, model, rows);
  await insertLabels(runtime.clickhouse, model, labels);
}

/** Waits for the controller to have read the approval of `version` and recorded its rollout. */
export function rolloutOf(runtime: Runtime, model: string, version: string, state?: RolloutRecord['state']): Promise<RolloutRecord> {
  return waitFor(async () => {
    const r = await getRollout(runtime.clickhouse, rolloutIdOf(model, version));
    return r && (!state || r.state === state) ? r : null;
  }, { message: `rollout of ${model} version ${version}${state ? ` ${state}` : ''}` });
}

/**
 * Serves one step's traffic over its whole analysis interval, moves the clock
 * to the deadline and ticks: the rollout as it is afterwards.
 */
export async function runStep(runtime: Runtime, controller: RolloutController, clock: FakeClock, r: RolloutRecord, traffic: Partial<Traffic> = {}): Promise<RolloutRecord> {
  const deadline = r.stepStartedAt + INTERVAL_MS;
  await serve(runtime, r.model, {
    from: r.stepStartedAt, to: deadline, championVersion: r.championVersion!, candidateVersion: r.version, variant: r.step === 0 ? 'shadow' : 'canary',
    // At 100% the gateway sends the champion nothing.
    champion: !(r.step > 0 && r.weight >= 1), ...traffic,
  });
  clock.t = Math.max(clock.t, deadline);
  await controller.tick();
  return (await getRollout(runtime.clickhouse, r.rolloutId))!;
}
