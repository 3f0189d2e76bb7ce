import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { silentLogger, toDateTime64Text, type Registry } from '../../../services/common/index.js';
import type { Runtime } from '../../../services/cli/runtime.js';
import { createDriftMonitor, DEFAULT_POLICY, mergePolicy, type DriftMonitor } from '../../../services/drift/index.js';
import { createRegistry, type Registry as ModelRegistry } from '../../../services/registry/index.js';
import { tempDir, uniqueName } from '../../support/index.js';
import { startTestRuntime } from '../../support/runtime.js';

const HOUR = 3_600_000;

/**
 * What the tests of champion references share: a runtime, the real registry
 * (its clock set by each promotion, so alias moves carry the promotion's
 * time), training runs as the trainer records them, and drift monitors with
 * time windows and the promotion settings under test.
 */
export interface PromotionHarness {
  runtime: Runtime;
  /** A done training run of `model` whose snapshot covered [from, to), with its metrics. */
  trainingRun(runId: string, from: number, to: number, metrics?: Record<string, number>): Promise<void>;
  /** Registers version `version` (approved at once) with a real artifact, then points `champion` at it at `at`; returns the registered version. */
  promote(version: string, runId: string, at: number): Promise<string>;
  /** A monitor (not started) of its own groups; stopped by close(). */
  monitor(metrics: Registry): DriftMonitor;
  close(): Promise<void>;
}

export async function promotionHarness(model: string, settings: { windowMs: number; fallbackMs: number; servedMs?: number }): Promise<PromotionHarness> {
  const runtime = await startTestRuntime();
  const artifactsDir = await tempDir();
  let now = 0;
  const registry: ModelRegistry = createRegistry({
    clickhouse: runtime.clickhouse, bus: runtime.bus, codec: runtime.codec, topicPrefix: runtime.config.topicPrefix, clock: { now: () => now },
    logger: silentLogger(), artifactsDir: join(artifactsDir, 'registry'), approval: 'auto',
  });
  const monitors: DriftMonitor[] = [];
  return {
    runtime,
    trainingRun: async (runId, from, to, metrics = {}) => {
      await runtime.clickhouse.insertObjects('training_runs', [{
        run_id: runId, model, revision: 1, state: 'done', cause_kind: 'manual', cause_ref: runId, cause_detail: '', requested_by: 'test', spec: '{}',
        data_version: `sha256:${runId}`, data_window: JSON.stringify({ kind: 'range', from, to }), candidate_version: null, best_trial: 0, metrics, message: '',
        code_version: 'test', environment: {}, created_at: toDateTime64Text(to), updated_at: toDateTime64Text(to),
      }]);
    },
    promote: async (version, runId, at) => {
      const artifact = join(artifactsDir, `model-${version}.json`);
      const body = JSON.stringify({ version });
      await writeFile(artifact, body);
      now = at;
      const registered = await registry.register({
        model, runId, dataVersion: `sha256:${runId}`, evaluationId: `eval-${version}`, cause: { kind: 'manual', ref: version }, artifacts: { model: artifact },
        modelSha256: createHash('sha256').update(body).digest('hex'), metrics: {},
      });
      await registry.setAlias(model, 'champion', version, 'test', `promote v${version}`);
      return registered.version;
    },
    monitor: (metrics) => {
      const m = createDriftMonitor({
        bus: runtime.bus, clickhouse: runtime.clickhouse, codec: runtime.codec, logger: silentLogger(), metrics,
        settings: {
          topicPrefix: runtime.config.topicPrefix, groupId: uniqueName('drift'), pollIntervalMs: HOUR, latenessMs: 0, epsilon: 1e-4, openRunTimeoutMs: HOUR,
          defaultPolicy: mergePolicy(DEFAULT_POLICY, { windowMs: settings.windowMs }, 'test'), policies: new Map(),
          promotionReference: { groupId: uniqueName('promotions'), fallbackMs: settings.fallbackMs, ...(settings.servedMs === undefined ? {} : { servedMs: settings.servedMs }) },
        },
      });
      monitors.push(m);
      return m;
    },
    close: async () => {
      for (const m of monitors) await m.stop();
      await runtime.close();
    },
  };
}
