import { fromDateTime64Text as ms, toDateTime64Text as stamp, type ClickHouse } from '../common/index.js';
import type { EvaluationOutcome } from './evaluate.js';
import type { Gate } from './gates.js';
import type { Interval } from './metrics.js';

/** An evaluation as `evaluations` holds it: the outcome, and what was evaluated on what. */
export interface EvaluationRecord extends EvaluationOutcome {
  evaluationId: string;
  model: string;
  runId: string;
  cause: { kind: string; ref: string };
  candidateVersion: string;
  championVersion: string | null;
  holdout: string;
  holdoutRows: number;
  artifactUri: string;
  artifactSha256: string;
  dataVersion: string;
  createdAt: number;
}

/** A gate as a Float64 column and the Avro double take it: a value that could not be computed is 0 (its detail says why). */
export const storedGate = (g: Gate): Gate => ({ name: g.name, passed: g.passed, value: Number.isFinite(g.value) ? g.value : 0, threshold: g.threshold, detail: g.detail });

const toPairs = (ci: Record<string, Interval>): Record<string, [number, number]> => Object.fromEntries(Object.entries(ci).map(([k, v]) => [k, [v.low, v.high]]));
const fromPairs = (ci: Record<string, [number, number] | { 1: number; 2: number }>): Record<string, Interval> =>
  Object.fromEntries(Object.entries(ci).map(([k, v]) => [k, Array.isArray(v) ? { low: Number(v[0]), high: Number(v[1]) } : { low: Number(v[1]), high: Number(v[2]) }]));

export async function saveEvaluation(ch: ClickHouse, e: EvaluationRecord): Promise<void> {
  await ch.insertObjects('evaluations', [{
    evaluation_id: e.evaluationId, model: e.model, run_id: e.runId, cause_kind: e.cause.kind, cause_ref: e.cause.ref, candidate_version: e.candidateVersion, champion_version: e.championVersion,
    decision: e.decision, reason: e.reason, holdout: e.holdout, holdout_rows: e.holdoutRows, candidate_metrics: e.candidateMetrics, champion_metrics: e.championMetrics,
    candidate_ci: toPairs(e.candidateCi), champion_ci: toPairs(e.championCi),
    gates: e.gates.map(storedGate),
    slices: e.slices.map((s) => ({ feature: s.feature, value: s.value, rows: s.rows, candidate: s.candidate, champion: s.champion })),
    artifact_uri: e.artifactUri, artifact_sha256: e.artifactSha256, data_version: e.dataVersion, created_at: stamp(e.createdAt),
  }]);
}

type Tuple5<A, B, C, D, E> = [A, B, C, D, E] | Record<string, A | B | C | D | E>;
interface EvaluationRow {
  evaluation_id: string; model: string; run_id: string; cause_kind: string; cause_ref: string; candidate_version: string; champion_version: string | null;
  decision: 'register' | 'reject'; reason: string; holdout: string; holdout_rows: string | number; candidate_metrics: Record<string, number>; champion_metrics: Record<string, number>;
  candidate_ci: Record<string, [number, number]>; champion_ci: Record<string, [number, number]>;
  gates: Tuple5<string, boolean, number, number, string>[]; slices: Tuple5<string, string, number | string, number, number>[];
  artifact_uri: string; artifact_sha256: string; data_version: string; created_at: string;
}

/** A named tuple comes back as an array or an object by name, depending on the output settings. */
const fields = <T extends unknown[]>(t: T | Record<string, unknown>, names: readonly string[]): T => (Array.isArray(t) ? t : (names.map((n) => t[n]) as T));

function toEvaluation(r: EvaluationRow): EvaluationRecord {
  return {
    evaluationId: r.evaluation_id, model: r.model, runId: r.run_id, cause: { kind: r.cause_kind, ref: r.cause_ref }, candidateVersion: r.candidate_version, championVersion: r.champion_version,
    decision: r.decision, reason: r.reason, holdout: r.holdout, holdoutRows: Number(r.holdout_rows), candidateMetrics: r.candidate_metrics, championMetrics: r.champion_metrics,
    candidateCi: fromPairs(r.candidate_ci), championCi: fromPairs(r.champion_ci),
    gates: r.gates.map((g) => {
      const [name, passed, value, threshold, detail] = fields<[string, boolean, number, number, string]>(g, ['name', 'passed', 'value', 'threshold', 'detail']);
      return { name, passed: Boolean(passed), value: Number(value), threshold: Number(threshold), detail };
    }),
    slices: r.slices.map((s) => {
      const [feature, value, rows, candidate, champion] = fields<[string, string, number | string, number, number]>(s, ['feature', 'value', 'rows', 'candidate', 'champion']);
      return { feature, value, rows: Number(rows), candidate: Number(candidate), champion: Number(champion) };
    }),
    artifactUri: r.artifact_uri, artifactSha256: r.artifact_sha256, dataVersion: r.data_version, createdAt: ms(r.created_at),
  };
}

/** Evaluations, newest first, optionally of one model or one id. */
export async function listEvaluations(ch: ClickHouse, filter: { model?: string; evaluationId?: string; limit?: number } = {}): Promise<EvaluationRecord[]> {
  const rows = await ch.query<EvaluationRow>(
    `SELECT * FROM {db:Identifier}.evaluations FINAL
     WHERE ({model:String} = '' OR model = {model:String}) AND ({id:String} = '' OR evaluation_id = {id:String})
     ORDER BY created_at DESC LIMIT {limit:UInt32}`,
    { model: filter.model ?? '', id: filter.evaluationId ?? '', limit: filter.limit ?? 100 },
  );
  return rows.map(toEvaluation);
}

export async function getEvaluation(ch: ClickHouse, evaluationId: string): Promise<EvaluationRecord | null> {
  return (await listEvaluations(ch, { evaluationId, limit: 1 }))[0] ?? null;
}
