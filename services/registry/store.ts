import { fromDateTime64Text as ms, toDateTime64Text as stamp, type ClickHouse } from '../common/index.js';

/** pending: awaiting approval; approved: may be rolled out; rejected: never served; archived: retired. */
export const VERSION_STATUSES = ['pending', 'approved', 'rejected', 'archived'] as const;
export type VersionStatus = (typeof VERSION_STATUSES)[number];

/** `driftloop.builtin`: a model.json the gateway serves itself; `onnx`: model.onnx, with model.json's preprocessing. */
export type ArtifactFormat = 'driftloop.builtin' | 'onnx';

/** A registered model version as `model_versions` holds it (its newest revision). */
export interface ModelVersion {
  model: string;
  /** "1", "2", ... per model, in registration order. */
  version: string;
  revision: number;
  status: VersionStatus;
  /** Absolute path of the served artifact (model.json). */
  artifactUri: string;
  artifactSha256: string;
  artifactFormat: ArtifactFormat;
  /** name -> absolute path of every stored artifact (`model`, `onnx`, ...). */
  artifacts: Record<string, string>;
  runId: string;
  dataVersion: string;
  evaluationId: string;
  cause: { kind: string; ref: string };
  /** run_id, data_version, evaluation_id, cause_kind, cause_ref (the drift report or alert), ... */
  lineage: Record<string, string>;
  metrics: Record<string, number>;
  tags: Record<string, string>;
  /** Who made the last change, and why. */
  actor: string;
  reason: string;
  createdAt: number;
  updatedAt: number;
}

export interface AliasMove {
  model: string;
  alias: string;
  version: string;
  previousVersion: string | null;
  actor: string;
  reason: string;
  movedAt: number;
}

interface VersionRow {
  model: string; version: string; revision: string | number; status: VersionStatus; artifact_uri: string; artifact_sha256: string; artifact_format: ArtifactFormat;
  artifacts: Record<string, string>; run_id: string; data_version: string; evaluation_id: string; cause_kind: string; cause_ref: string; lineage: Record<string, string>;
  metrics: Record<string, number>; tags: Record<string, string>; actor: string; reason: string; created_at: string; updated_at: string;
}

const toVersion = (r: VersionRow): ModelVersion => ({
  model: r.model, version: r.version, revision: Number(r.revision), status: r.status, artifactUri: r.artifact_uri, artifactSha256: r.artifact_sha256, artifactFormat: r.artifact_format,
  artifacts: r.artifacts, runId: r.run_id, dataVersion: r.data_version, evaluationId: r.evaluation_id, cause: { kind: r.cause_kind, ref: r.cause_ref }, lineage: r.lineage,
  metrics: r.metrics, tags: r.tags, actor: r.actor, reason: r.reason, createdAt: ms(r.created_at), updatedAt: ms(r.updated_at),
});

/** Appends a version revision; the caller bumps `revision` (readers keep the highest). */
export async function saveVersion(ch: ClickHouse, v: ModelVersion): Promise<void> {
  await ch.insertObjects('model_versions', [{
    model: v.model, version: v.version, revision: v.revision, status: v.status, artifact_uri: v.artifactUri, artifact_sha256: v.artifactSha256, artifact_format: v.artifactFormat,
    artifacts: v.artifacts, run_id: v.runId, data_version: v.dataVersion, evaluation_id: v.evaluationId, cause_kind: v.cause.kind, cause_ref: v.cause.ref, lineage: v.lineage,
    metrics: v.metrics, tags: v.tags, actor: v.actor, reason: v.reason, created_at: stamp(v.createdAt), updated_at: stamp(v.updatedAt),
  }]);
}

/** Versions of a model (or every model), newest first. */
export async function listVersions(ch: ClickHouse, filter: { model?: string; version?: string; runId?: string } = {}): Promise<ModelVersion[]> {
  const rows = await ch.query<VersionRow>(
    `SELECT * FROM {db:Identifier}.model_versions FINAL
     WHERE ({model:String} = '' OR model = {model:String}) AND ({version:String} = '' OR version = {version:String}) AND ({run:String} = '' OR run_id = {run:String})
     ORDER BY model, created_at DESC, toUInt64OrZero(version) DESC`,
    { model: filter.model ?? '', version: filter.version ?? '', run: filter.runId ?? '' },
  );
  return rows.map(toVersion);
}

export async function getVersion(ch: ClickHouse, model: string, version: string): Promise<ModelVersion | null> {
  if (!version) return null;
  return (await listVersions(ch, { model, version }))[0] ?? null;
}

/** The next version number of a model: one more than the highest registered. */
export async function nextVersionNumber(ch: ClickHouse, model: string): Promise<string> {
  const [row] = await ch.query<{ top: string | number }>('SELECT max(toUInt64OrZero(version)) AS top FROM {db:Identifier}.model_versions WHERE model = {model:String}', { model });
  return String(Number(row?.top ?? 0) + 1);
}

interface AliasRow { model: string; alias: string; version: string; previous_version: string | null; actor: string; reason: string; moved_at: string; revision?: string | number }
const toMove = (r: AliasRow): AliasMove & { revision: number } => ({
  model: r.model, alias: r.alias, version: r.version, previousVersion: r.previous_version, actor: r.actor, reason: r.reason, movedAt: ms(r.moved_at), revision: Number(r.revision ?? 0),
});

/** Where each alias of a model points now. */
export async function listAliases(ch: ClickHouse, model: string): Promise<(AliasMove & { revision: number })[]> {
  const rows = await ch.query<AliasRow>('SELECT * FROM {db:Identifier}.model_aliases FINAL WHERE model = {model:String} ORDER BY alias', { model });
  return rows.map(toMove);
}

export async function getAlias(ch: ClickHouse, model: string, alias: string): Promise<(AliasMove & { revision: number }) | null> {
  return (await listAliases(ch, model)).find((a) => a.alias === alias) ?? null;
}

/** Points `alias` at a version: one history row, then the current row at `revision` (higher than the alias's last). */
export async function saveAliasMove(ch: ClickHouse, move: AliasMove, revision: number): Promise<void> {
  const row = { model: move.model, alias: move.alias, version: move.version, previous_version: move.previousVersion, actor: move.actor, reason: move.reason, moved_at: stamp(move.movedAt) };
  await ch.insertObjects('model_alias_history', [row]);
  await ch.insertObjects('model_aliases', [{ ...row, revision }]);
}

/** Every move of a model's aliases (or of one), oldest first. */
export async function aliasHistory(ch: ClickHouse, model: string, alias = ''): Promise<AliasMove[]> {
  const rows = await ch.query<AliasRow>(
    'SELECT * FROM {db:Identifier}.model_alias_history WHERE model = {model:String} AND ({alias:String} = \'\' OR alias = {alias:String}) ORDER BY moved_at, alias',
    { model, alias },
  );
  return rows.map(toMove);
}

/** Models with at least one version. */
export async function listModels(ch: ClickHouse): Promise<{ model: string; versions: number; latest: string }[]> {
  const rows = await ch.query<{ model: string; versions: string | number; latest: string | number }>(
    'SELECT model, uniqExact(version) AS versions, max(toUInt64OrZero(version)) AS latest FROM {db:Identifier}.model_versions GROUP BY model ORDER BY model',
  );
  return rows.map((r) => ({ model: r.model, versions: Number(r.versions), latest: String(r.latest) }));
}
