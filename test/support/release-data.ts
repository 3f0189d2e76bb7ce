import { randomUUID } from 'node:crypto';
import type { Runtime } from '../../services/cli/runtime.js';
import { toDateTime64Text as stamp, type ClickHouse } from '../../services/common/index.js';

/**
 * Rows of the release tables (infra/clickhouse/006_release.sql) written
 * straight into ClickHouse, as the registry and the rollout controller would,
 * and the control events that tell the gateway to re-read them.
 */

export interface VersionSeed {
  model: string;
  version: string;
  /** The file whose sha256 is recorded (model.json). */
  artifactUri: string;
  sha256: string;
  /** @default 'driftloop.builtin' */
  format?: string;
  /** @default { model: artifactUri } */
  artifacts?: Record<string, string>;
}

let revision = Date.now() * 1000;
const nextRevision = (): number => ++revision;

export async function insertVersion(ch: ClickHouse, v: VersionSeed): Promise<void> {
  const now = stamp(Date.now());
  await ch.insertObjects('model_versions', [{
    model: v.model, version: v.version, revision: nextRevision(), status: 'approved', artifact_uri: v.artifactUri, artifact_sha256: v.sha256,
    artifact_format: v.format ?? 'driftloop.builtin', artifacts: v.artifacts ?? { model: v.artifactUri }, run_id: `run-${v.version}`, data_version: '', evaluation_id: '',
    cause_kind: 'manual', cause_ref: 'test', lineage: {}, metrics: {}, tags: {}, actor: 'test', reason: '', created_at: now, updated_at: now,
  }]);
}

export async function setAlias(ch: ClickHouse, model: string, version: string, alias = 'champion'): Promise<void> {
  await ch.insertObjects('model_aliases', [{ model, alias, version, previous_version: null, revision: nextRevision(), actor: 'test', reason: '', moved_at: stamp(Date.now()) }]);
}

export interface RolloutSeed {
  model: string;
  version: string;
  phase: 'shadow' | 'canary' | 'done';
  /** @default a new id */
  rolloutId?: string;
  /** @default 0 */
  weight?: number;
  /** @default 'running' */
  state?: string;
  /** @default now */
  updatedAt?: number;
}

/** Appends a rollout revision; returns its id. */
export async function upsertRollout(ch: ClickHouse, r: RolloutSeed): Promise<string> {
  const rolloutId = r.rolloutId ?? `rollout-${randomUUID()}`;
  const at = stamp(r.updatedAt ?? Date.now());
  await ch.insertObjects('rollouts', [{
    rollout_id: rolloutId, model: r.model, version: r.version, champion_version: null, run_id: '', revision: nextRevision(), phase: r.phase, step: 0, weight: r.weight ?? 0,
    state: r.state ?? 'running', reason: '', steps: [0.01, 0.1, 0.5, 1], failed_checks: 0, checks: [], step_started_at: at, started_at: at, updated_at: at,
  }]);
  return rolloutId;
}

const cause = { kind: 'manual', ref: 'test', detail: '' };

/** A registry-events message saying the champion of `model` moved to `version`. */
export async function publishAliasMoved(runtime: Runtime, model: string, version: string): Promise<void> {
  const event = { event_id: randomUUID(), model, ts: Date.now(), run_id: null, cause, version, action: 'alias_set', alias: 'champion', previous_version: null, actor: 'test', reason: '', lineage: {} };
  const producer = await runtime.bus.producer();
  await producer.send(`${runtime.config.topicPrefix}registry-events`, [{ key: model, value: await runtime.codec.encode('registry-events', event) }]);
}

/** A rollout-events message about `version` of `model`. */
export async function publishRolloutStep(runtime: Runtime, model: string, version: string, phase: 'shadow' | 'canary', weight: number): Promise<void> {
  const event = { event_id: randomUUID(), model, ts: Date.now(), run_id: 'run', cause, version, champion_version: null, phase, step: 0, weight, state: 'started', reason: '', checks: [] };
  const producer = await runtime.bus.producer();
  await producer.send(`${runtime.config.topicPrefix}rollout-events`, [{ key: model, value: await runtime.codec.encode('rollout-events', event) }]);
}
