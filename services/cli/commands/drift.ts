/**
 * `driftloop drift`, `reports`, `reference` and `retrain`: the drift monitor
 * from the command line, through its HTTP API.
 */
import type { DriftPolicy, DriftReport } from '../../drift/index.js';
import { adminHeaders, call, table, time, printed, type ApiOptions } from './api.js';

interface DriftModel {
  model: string;
  model_version: string;
  profile_id: string;
  source: string;
  monitor_from: string;
  features: { numeric: string[]; categorical: string[] };
  policy: DriftPolicy;
}

const path = (model: string, rest = ''): string => `/drift/models/${encodeURIComponent(model)}${rest}`;

/** "1 week", "1h", "5000 events": a policy's window as a person reads it. */
function windowText(p: Pick<DriftPolicy, 'windowMs' | 'windowRows'>): string {
  if (p.windowRows > 0) return `${p.windowRows} events`;
  const units: [number, string][] = [[604_800_000, 'w'], [86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'm'], [1000, 's']];
  const [size, unit] = units.find(([u]) => p.windowMs % u === 0) ?? [1, 'ms'];
  return `${p.windowMs / size}${unit}`;
}

export async function listDriftCommand(options: ApiOptions): Promise<void> {
  const { models } = await call<{ models: DriftModel[] }>(options, '/drift/models');
  if (printed(options, models)) return;
  if (models.length === 0) return void console.log('no model has a drift reference yet (one is built when a version becomes champion, or by `driftloop reference`)');
  console.log(table(
    ['MODEL', 'VERSION', 'REFERENCE', 'MONITORED FROM', 'FEATURES', 'WINDOW', 'AUTO RETRAIN'],
    models.map((m) => [
      m.model, m.model_version, m.profile_id, time(Date.parse(m.monitor_from)),
      `${m.features.numeric.length} numeric, ${m.features.categorical.length} categorical`, windowText(m.policy), m.policy.autoRetrain ? 'on' : 'off',
    ]),
  ));
}

export async function listReportsCommand(options: ApiOptions, model: string, limit: number): Promise<void> {
  const { reports } = await call<{ reports: DriftReport[] }>(options, path(model, `/reports?limit=${limit}`));
  if (printed(options, reports)) return;
  if (reports.length === 0) return void console.log(`no window of ${model} decided yet`);
  console.log(table(
    ['WINDOW START', 'WINDOW END', 'EVENTS', 'DECISION', 'SHARE', 'DRIFTED', 'RUN'],
    reports.map((r) => [
      time(r.window_start), time(r.window_end), String(r.window_rows), r.decision, r.drift_share.toFixed(2),
      [...new Set(r.features.filter((f) => f.decisive && f.drifted).map((f) => (f.variant ? `${f.feature}[${f.variant}]` : f.feature)))].join(',') || '-', r.run_id ?? '',
    ]),
  ));
}

export async function buildReferenceCommand(options: ApiOptions, model: string, input: { version: string; from: string; to: string }): Promise<void> {
  const built = await call<{ profile_id: string; numeric: number; categorical: number; score: boolean }>(options, path(model, '/reference'), {
    method: 'POST', headers: { ...adminHeaders(options, 'reference'), 'content-type': 'application/json' }, body: JSON.stringify(input),
  });
  if (printed(options, built)) return;
  console.log(`model ${model} version ${input.version}: reference ${built.profile_id} from ${input.from} to ${input.to}, ${built.numeric} numeric and ${built.categorical} categorical features${built.score ? ', with the prediction score' : ''}`);
}

export async function retrainCommand(options: ApiOptions, model: string, reason: string): Promise<void> {
  const outcome = await call<{ run_id: string; status: string }>(options, path(model, '/retrain'), {
    method: 'POST', headers: { ...adminHeaders(options, 'retrain'), 'content-type': 'application/json' }, body: JSON.stringify({ reason }),
  });
  if (printed(options, outcome)) return;
  const what = { opened: 'opened', joined: 'joined (a run of the model is still open: this one)', cooldown: 'held back by the cooldown', off: 'not opened: automatic retraining is off' }[outcome.status] ?? outcome.status;
  console.log(`model ${model}: run ${outcome.run_id} ${what}`);
}
