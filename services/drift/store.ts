import type { DriftDecision } from '../../schemas/index.js';
import { fromDateTime64Text as ms, toDateTime64Text as stamp, type ClickHouse } from '../common/index.js';
import type { CategoricalProfile, NumericProfile, ReferenceProfile } from './profile.js';
import type { JudgedStatistic } from './policy.js';


interface ProfileRow {
  model: string;
  model_version: string;
  profile_id: string;
  built_at: string;
  source: string;
  monitor_from: string;
  kind: string;
  feature: string;
  rows: string;
  present: string;
  mean: number;
  std: number;
  min: number;
  max: number;
  null_rate: number;
  grid: number[];
  fine_counts: string[];
  deciles: number[];
  categories: string[];
  category_counts: string[];
  adaptive: Record<string, number>;
  extra: string;
}

/** Stores a profile as one row per feature (plus one `meta` row for model-wide facts). */
export async function saveProfile(ch: ClickHouse, p: ReferenceProfile): Promise<void> {
  const base = { model: p.model, model_version: p.modelVersion, profile_id: p.profileId, built_at: stamp(p.builtAt), source: p.source, monitor_from: stamp(p.monitorFrom) };
  const empty = { rows: 0, present: 0, mean: 0, std: 0, min: 0, max: 0, null_rate: 0, grid: [], fine_counts: [], deciles: [], categories: [], category_counts: [], adaptive: {}, extra: '' };
  const numeric = (kind: string, f: NumericProfile) => ({ ...base, ...empty, kind, feature: f.feature, rows: f.rows, present: f.present, mean: f.mean, std: f.std, min: f.min, max: f.max, null_rate: f.nullRate, grid: f.grid, fine_counts: f.fineCounts, deciles: f.deciles });
  const categorical = (kind: string, f: CategoricalProfile) => ({ ...base, ...empty, kind, feature: f.feature, rows: f.rows, present: f.present, null_rate: f.nullRate, categories: f.categories, category_counts: f.counts });
  const rows = [
    ...p.numeric.map((f) => numeric('numeric', f)),
    ...p.categorical.map((f) => categorical('categorical', f)),
    ...(p.score ? [numeric('score', p.score)] : []),
    ...(p.classes ? [categorical('class', p.classes)] : []),
    { ...base, ...empty, kind: 'meta', feature: '', adaptive: p.adaptive, extra: JSON.stringify({ positiveLabel: p.positiveLabel, performance: p.performance, served: p.served ?? null, importance: p.importance ?? null, testAccuracy: p.testAccuracy ?? null }) },
  ];
  // Grids travel as text so every double (and none as a rounded integer) survives.
  await ch.insertObjects('drift_profiles', rows);
}

const ACTIVE_IDS = `SELECT model, argMax(profile_id, built_at) AS active_id FROM {db:Identifier}.drift_profiles WHERE {model:String} = '' OR model = {model:String} GROUP BY model`;

/** The newest profile of every model (or of `model`). */
export async function loadActiveProfiles(ch: ClickHouse, model?: string): Promise<ReferenceProfile[]> {
  return loadProfiles(ch, `(model, profile_id) IN (${ACTIVE_IDS})`, { model: model ?? '' });
}

/** One profile, or null while it is not (completely) stored. */
export async function loadProfile(ch: ClickHouse, model: string, profileId: string): Promise<ReferenceProfile | null> {
  const [profile] = await loadProfiles(ch, 'model = {model:String} AND profile_id = {profile:String}', { model, profile: profileId });
  return profile ?? null;
}

async function loadProfiles(ch: ClickHouse, where: string, params: Record<string, unknown>): Promise<ReferenceProfile[]> {
  const rows = await ch.query<ProfileRow>(
    `SELECT * FROM {db:Identifier}.drift_profiles FINAL WHERE ${where} ORDER BY model, kind, feature SETTINGS output_format_json_quote_denormals = 1`,
    params,
  );
  const byModel = new Map<string, ProfileRow[]>();
  for (const r of rows) byModel.set(r.model, [...(byModel.get(r.model) ?? []), r]);
  // A profile is one insert, its `meta` row included: without it, it is not there yet.
  return [...byModel.values()].filter((r) => r.some((x) => x.kind === 'meta')).map(toProfile);
}

/** Whether a profile with this id is stored. */
export async function profileExists(ch: ClickHouse, model: string, profileId: string): Promise<boolean> {
  const rows = await ch.query('SELECT 1 FROM {db:Identifier}.drift_profiles WHERE model = {model:String} AND profile_id = {profile:String} AND kind = \'meta\' LIMIT 1', { model, profile: profileId });
  return rows.length > 0;
}

/**
 * A profile's place in its model's sequence of references. Profiles follow
 * each other in the order they were built; each is in force from its
 * `monitorFrom`, never before the one built before it took over, until the
 * next one takes over. A window is compared with the profile in force at its
 * start and ends, at the latest, where the next one takes over.
 */
export interface ProfileLink {
  profileId: string;
  modelVersion: string;
  builtAt: number;
  monitorFrom: number;
  /** Where this profile takes over: max(monitorFrom, where the one before took over). */
  from: number;
}

/** Model -> its profiles in the order they were built (the last is the newest), with where each takes over. */
export async function profileChains(ch: ClickHouse, model = ''): Promise<Map<string, ProfileLink[]>> {
  // Aliases differ from the columns: ClickHouse would read a column name in an aggregate as the alias.
  const rows = await ch.query<{ model: string; profile_id: string; version: string; built: string; monitor: string }>(
    `SELECT model, profile_id, argMax(model_version, built_at) AS version, toString(max(built_at)) AS built, toString(argMax(monitor_from, built_at)) AS monitor
     FROM {db:Identifier}.drift_profiles WHERE kind = 'meta' AND ({model:String} = '' OR model = {model:String})
     GROUP BY model, profile_id ORDER BY model, max(built_at), profile_id`,
    { model },
  );
  const chains = new Map<string, ProfileLink[]>();
  for (const r of rows) {
    const chain = chains.get(r.model) ?? [];
    const monitorFrom = ms(r.monitor);
    chain.push({ profileId: r.profile_id, modelVersion: r.version, builtAt: ms(r.built), monitorFrom, from: Math.max(monitorFrom, chain.at(-1)?.from ?? -Infinity) });
    chains.set(r.model, chain);
  }
  return chains;
}

function toProfile(rows: ProfileRow[]): ReferenceProfile {
  const first = rows[0]!;
  const meta = rows.find((r) => r.kind === 'meta');
  const extra = meta?.extra ? (JSON.parse(meta.extra) as Pick<ReferenceProfile, 'positiveLabel' | 'performance' | 'served' | 'importance' | 'testAccuracy'>) : { positiveLabel: null, performance: null, served: null };
  const numeric = (r: ProfileRow): NumericProfile => ({
    feature: r.feature, rows: Number(r.rows), present: Number(r.present), mean: Number(r.mean), std: Number(r.std), min: Number(r.min), max: Number(r.max),
    nullRate: Number(r.null_rate), grid: r.grid.map(Number), fineCounts: r.fine_counts.map(Number), deciles: r.deciles.map(Number),
  });
  const categorical = (r: ProfileRow): CategoricalProfile => ({ feature: r.feature, rows: Number(r.rows), present: Number(r.present), nullRate: Number(r.null_rate), categories: r.categories, counts: r.category_counts.map(Number) });
  const score = rows.find((r) => r.kind === 'score');
  const classes = rows.find((r) => r.kind === 'class');
  return {
    model: first.model,
    modelVersion: first.model_version,
    profileId: first.profile_id,
    builtAt: ms(first.built_at),
    source: first.source,
    monitorFrom: ms(first.monitor_from),
    numeric: rows.filter((r) => r.kind === 'numeric').map(numeric),
    categorical: rows.filter((r) => r.kind === 'categorical').map(categorical),
    score: score ? numeric(score) : null,
    classes: classes ? categorical(classes) : null,
    positiveLabel: extra.positiveLabel,
    performance: extra.performance,
    adaptive: Object.fromEntries(Object.entries(meta?.adaptive ?? {}).map(([k, v]) => [k, Number(v)])),
    served: extra.served ?? null,
    importance: extra.importance ?? null,
    testAccuracy: extra.testAccuracy ?? null,
  };
}

/** A closed window's report, as stored and published. */
export interface DriftReport {
  event_id: string;
  model: string;
  ts: number;
  model_version: string;
  profile_id: string;
  window_start: number;
  window_end: number;
  window_rows: number;
  dataset_drift: boolean;
  drift_share: number;
  features: { feature: string; kind: string; test: string; value: number; threshold: number; p_value: number | null; drifted: boolean; variant: string; decisive: boolean }[];
  decision: DriftDecision;
  run_id: string | null;
  reasons: string[];
}

export async function saveReport(ch: ClickHouse, report: DriftReport, streak: number, judged: readonly JudgedStatistic[]): Promise<void> {
  await ch.insertObjects('drift_statistics', judged.map((s) => ({
    report_id: report.event_id, model: report.model, window_start: stamp(report.window_start), window_end: stamp(report.window_end),
    feature: s.feature, kind: s.kind, variant: s.variant, test: s.test, value: Number.isFinite(s.value) ? s.value : 0, threshold: Number.isFinite(s.threshold) ? s.threshold : 0,
    p_value: s.pValue !== null && Number.isFinite(s.pValue) ? s.pValue : null, drifted: s.drifted, decisive: s.decisive,
  })));
  // The report row last: its presence marks the window as decided.
  await ch.insertObjects('drift_reports', [{
    event_id: report.event_id, model: report.model, model_version: report.model_version, profile_id: report.profile_id, ts: stamp(report.ts),
    window_start: stamp(report.window_start), window_end: stamp(report.window_end), window_rows: report.window_rows, dataset_drift: report.dataset_drift,
    drift_share: report.drift_share, decision: report.decision, streak, run_id: report.run_id, reasons: report.reasons, report: JSON.stringify(report),
  }]);
}

/** The model's last decided window (by any profile): where the next starts, the drifting streak, its decision and profile; null before the first. */
export async function lastDecidedWindow(ch: ClickHouse, model: string): Promise<{ end: number; streak: number; decision: DriftReport['decision']; profileId: string } | null> {
  const [row] = await ch.query<{ end: string; streak: number; decision: DriftReport['decision']; profile_id: string }>(
    `SELECT toString(max(window_end)) AS end, argMax(streak, window_end) AS streak, argMax(decision, window_end) AS decision, argMax(profile_id, window_end) AS profile_id
     FROM {db:Identifier}.drift_reports WHERE model = {model:String} HAVING count() > 0`,
    { model },
  );
  return row ? { end: ms(row.end), streak: Number(row.streak), decision: row.decision, profileId: row.profile_id } : null;
}

export async function listReports(ch: ClickHouse, model: string, limit: number): Promise<DriftReport[]> {
  const rows = await ch.query<{ report: string }>(
    `SELECT report FROM {db:Identifier}.drift_reports FINAL WHERE model = {model:String} ORDER BY window_start DESC LIMIT {limit:UInt32}`,
    { model, limit },
  );
  return rows.map((r) => JSON.parse(r.report) as DriftReport);
}
