/**
 * `driftloop status`: one screen of what the loop is doing — per model its
 * champion, the rollout in flight, open retraining runs, the drift
 * monitor's last window and decision — and the ingest's
 * lag, through the services' HTTP APIs (a service that is not running in the
 * process answering is shown as such, not as an error).
 */
import { CHAMPION_ALIAS } from '../../../schemas/index.js';
import type { DriftReport } from '../../drift/index.js';
import type { AliasMove } from '../../registry/index.js';
import type { RolloutRecord } from '../../rollout/index.js';
import type { RunRecord } from '../../trainer/index.js';
import { EMBEDDED_RETENTION_NOTE, type RuntimeInfo } from '../start-services.js';
import { ApiError, call, printed, table, time, type ApiOptions } from './api.js';

/** The answer of `path`, or undefined when that service is not there (404) or not running (503). */
async function optional<T>(options: ApiOptions, path: string): Promise<T | undefined> {
  try {
    return await call<T>(options, path);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 503)) return undefined;
    throw err;
  }
}

export async function statusCommand(options: ApiOptions): Promise<void> {
  const [models, runs, ingest, runtime, drift] = await Promise.all([
    optional<{ models: { model: string; versions: number }[] }>(options, '/registry/models'),
    optional<{ runs: RunRecord[] }>(options, '/trainer/runs?open=true&limit=100'),
    optional<{ partitions: { topic: string; partition: number; lag: number }[] }>(options, '/ingest/status'),
    optional<RuntimeInfo>(options, '/runtime'),
    optional<{ models: { model: string }[] }>(options, '/drift/models'),
  ]);
  const watched = new Set((drift?.models ?? []).map((m) => m.model));
  const names = [...new Set([...(models?.models ?? []).map((m) => m.model), ...(runs?.runs ?? []).map((r) => r.model), ...watched])].sort();
  const rows = await Promise.all(names.map(async (model) => {
    const registry = await optional<{ aliases: AliasMove[] }>(options, `/registry/models/${encodeURIComponent(model)}`);
    const rollout = (await optional<{ rollout: RolloutRecord }>(options, `/rollout/models/${encodeURIComponent(model)}`))?.rollout;
    const active = rollout && ['running', 'paused', 'awaiting_approval'].includes(rollout.state);
    const open = (runs?.runs ?? []).filter((r) => r.model === model);
    const last = watched.has(model) ? (await optional<{ reports: DriftReport[] }>(options, `/drift/models/${encodeURIComponent(model)}/reports?limit=1`))?.reports[0] : undefined;
    return {
      model,
      drift: !drift ? 'not running here' : !watched.has(model) ? 'no reference' : last ? `${last.decision} (window to ${time(last.window_end)})` : 'no window decided yet',
      champion: registry?.aliases.find((a) => a.alias === CHAMPION_ALIAS)?.version ?? '-',
      rollout: active ? `v${rollout.version} ${rollout.phase} ${(rollout.weight * 100).toFixed(0)}% ${rollout.state}` : rollout ? `last: v${rollout.version} ${rollout.state}` : '-',
      runs: open.map((r) => `${r.runId} ${r.state}`).join(', ') || '-',
    };
  }));
  const lag = (ingest?.partitions ?? []).reduce<Record<string, number>>((by, p) => ({ ...by, [p.topic]: (by[p.topic] ?? 0) + p.lag }), {});
  if (printed(options, { models: rows, ingest_lag: ingest ? lag : null, kafka: runtime?.kafka ?? null })) return;
  if (runtime) console.log(`kafka: ${runtime.kafka.brokers.join(',')}${runtime.kafka.embedded ? ` (embedded: ${EMBEDDED_RETENTION_NOTE})` : ''}`);
  console.log(rows.length ? table(['MODEL', 'CHAMPION', 'ROLLOUT', 'OPEN RUNS', 'LAST DRIFT WINDOW'], rows.map((r) => [r.model, r.champion, r.rollout, r.runs, r.drift])) : 'no models registered or watched yet');
  console.log(ingest ? `ingest lag: ${Object.entries(lag).map(([t, n]) => `${t} ${n}`).join(', ') || 'none (no partitions assigned)'}` : 'ingest: not running here');
}
