import { toDateTime64Text, type ClickHouse } from '../../services/common/index.js';

export { seededRandom as prng, normal } from './random.js';

export interface FeatureRow {
  event_id: string;
  ts: number;
  numeric: Record<string, number>;
  categorical: Record<string, string>;
}

export interface PredictionRow {
  event_id: string;
  ts: number;
  variant: string;
  prediction: string;
  score: number | null;
  /** @default 'v1' */
  model_version?: string;
  latency_ms?: number | null;
  /** When the row was ingested. @default now */
  ingested_at?: number;
}

const stamp = toDateTime64Text;

/** Writes rows straight into the ingest tables, as the ingest service would have. */
export async function insertFeatures(ch: ClickHouse, model: string, rows: readonly FeatureRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 50_000) {
    await ch.insertObjects(
      'features',
      rows.slice(i, i + 50_000).map((r, j) => ({
        model,
        ts: stamp(r.ts),
        event_id: r.event_id,
        entity_id: '',
        numeric: r.numeric,
        categorical: r.categorical,
        _topic: 'test',
        _partition: 0,
        _offset: i + j,
      })),
    );
  }
}

export async function insertPredictions(ch: ClickHouse, model: string, rows: readonly PredictionRow[]): Promise<void> {
  await ch.insertObjects(
    'predictions',
    rows.map((r, i) => ({ model, model_version: r.model_version ?? 'v1', variant: r.variant, ts: stamp(r.ts), event_id: r.event_id, entity_id: '', prediction: r.prediction, score: r.score, latency_ms: r.latency_ms ?? null, ingested_at: stamp(r.ingested_at ?? Date.now()), _topic: 'test', _partition: 0, _offset: i })),
  );
}

export async function insertLabels(ch: ClickHouse, model: string, rows: readonly { event_id: string; ts: number; label: string; ingested_at?: number }[]): Promise<void> {
  await ch.insertObjects('labels', rows.map((r, i) => ({ model, ts: stamp(r.ts), event_id: r.event_id, label: r.label, ingested_at: stamp(r.ingested_at ?? Date.now()), _topic: 'test', _partition: 0, _offset: i })));
}
