import { ACTIVE_ROLLOUT_STATES, CHAMPION_ALIAS } from '../../schemas/index.js';
import type { ClickHouse } from '../common/index.js';
import type { ModelPlan, RolloutPlan, VersionRecord } from './types.js';

const VERSION_COLUMNS = 'model, version, artifact_uri, artifact_sha256, artifact_format, artifacts';
const MODELS_FILTER = '(empty({models:Array(String)}) OR has({models:Array(String)}, model))';

interface VersionRow {
  model: string;
  version: string;
  artifact_uri: string;
  artifact_sha256: string;
  artifact_format: string;
  artifacts: Record<string, string>;
}

interface RolloutRow extends VersionRow {
  rollout_id: string;
  phase: string;
  state: string;
  weight: number;
}

const toVersion = (r: VersionRow): VersionRecord => ({
  model: r.model,
  version: r.version,
  artifactUri: r.artifact_uri,
  artifactSha256: r.artifact_sha256,
  artifactFormat: r.artifact_format,
  artifacts: r.artifacts ?? {},
});

function toRollout(r: RolloutRow, champion: VersionRecord | null): RolloutPlan | null {
  // The candidate is served (canary) or mirrored to (shadow) while its rollout is active.
  if (!(ACTIVE_ROLLOUT_STATES as readonly string[]).includes(r.state) || (r.phase !== 'shadow' && r.phase !== 'canary')) return null;
  // A rollout of the champion itself (promoted, its row not closed yet) splits nothing.
  if (r.version === champion?.version) return null;
  const weight = Number(r.weight);
  return { rolloutId: r.rollout_id, phase: r.phase, state: r.state, weight: Number.isFinite(weight) ? Math.min(Math.max(weight, 0), 1) : 0, version: toVersion(r) };
}

/**
 * What each model should serve, read from the release tables (006_release.sql):
 * the champion is the `model_aliases` row of alias `champion` and its
 * `model_versions` row; the rollout is the model's newest `rollouts` row (by
 * updated_at), kept only while it is active in the shadow or canary phase, so
 * a stale older rollout never comes back. `models` empty reads every model.
 * A model with versions but no champion comes back with `champion: null`.
 */
export async function readModelPlans(ch: ClickHouse, models: readonly string[] = []): Promise<ModelPlan[]> {
  const params = { models, alias: CHAMPION_ALIAS };
  const [champions, rollouts, known] = await Promise.all([
    ch.query<VersionRow>(
      `SELECT ${VERSION_COLUMNS} FROM {db:Identifier}.model_versions FINAL
       WHERE ${MODELS_FILTER}
         AND (model, version) IN (SELECT model, version FROM {db:Identifier}.model_aliases FINAL WHERE alias = {alias:String} AND ${MODELS_FILTER})`,
      params,
    ),
    ch.query<RolloutRow>(
      `SELECT r.rollout_id AS rollout_id, r.phase AS phase, r.state AS state, r.weight AS weight,
              v.model AS model, v.version AS version, v.artifact_uri AS artifact_uri, v.artifact_sha256 AS artifact_sha256,
              v.artifact_format AS artifact_format, v.artifacts AS artifacts
       FROM (
         SELECT rollout_id, model, version, phase, state, weight FROM {db:Identifier}.rollouts FINAL
         WHERE ${MODELS_FILTER}
         ORDER BY model, updated_at DESC, started_at DESC, rollout_id DESC
         LIMIT 1 BY model
       ) AS r
       INNER JOIN (SELECT ${VERSION_COLUMNS} FROM {db:Identifier}.model_versions FINAL WHERE ${MODELS_FILTER}) AS v
         ON v.model = r.model AND v.version = r.version`,
      params,
    ),
    ch.query<{ model: string }>(`SELECT DISTINCT model FROM {db:Identifier}.model_versions WHERE ${MODELS_FILTER}`, params),
  ]);
  const championOf = new Map(champions.map((r) => [r.model, toVersion(r)]));
  const rolloutOf = new Map(rollouts.map((r) => [r.model, r]));
  return known.map(({ model }) => {
    const champion = championOf.get(model) ?? null;
    const rollout = rolloutOf.get(model);
    return { model, champion, rollout: rollout ? toRollout(rollout, champion) : null };
  });
}
