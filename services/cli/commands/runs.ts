/**
 * `driftloop runs …` and `driftloop reproduce <run>`: experiment tracking from
 * the command line, through the trainer's HTTP API (README "HTTP API"), so it
 * works against any running driftloop, embedded or on real servers.
 */
import { adminHeaders, call, metricsText, num, table, time, printed, type ApiOptions } from './api.js';
import type { ArtifactRecord, ReproduceReport, RunRecord, TrialRecord } from '../../trainer/index.js';

export async function listRunsCommand(options: ApiOptions, filter: { model?: string; open: boolean; limit: number }): Promise<void> {
  const q = new URLSearchParams({ limit: String(filter.limit), ...(filter.model ? { model: filter.model } : {}), ...(filter.open ? { open: 'true' } : {}) });
  const { runs } = await call<{ runs: RunRecord[] }>(options, `/trainer/runs?${q}`);
  if (printed(options, runs)) return;
  console.log(table(
    ['RUN', 'MODEL', 'STATE', 'CAUSE', 'CREATED', 'TRAINER', 'METRICS'],
    runs.map((r) => [r.runId, r.model, r.state, r.cause.kind, time(r.createdAt), (JSON.parse(r.spec || '{}') as { trainer?: string }).trainer ?? '', metricsText(r.metrics)]),
  ));
}

export async function showRunCommand(options: ApiOptions, runId: string): Promise<void> {
  const shown = await call<{ run: RunRecord; trials: TrialRecord[]; artifacts: ArtifactRecord[] }>(options, `/trainer/runs/${encodeURIComponent(runId)}`);
  if (printed(options, shown)) return;
  const { run, trials, artifacts } = shown;
  const lines = [
    `run        ${run.runId} (${run.model})`,
    `state      ${run.state}${run.message ? `: ${run.message}` : ''}`,
    `cause      ${run.cause.kind} ${run.cause.ref}${run.cause.detail ? ` (${run.cause.detail})` : ''}, requested by ${run.requestedBy || '?'}`,
    `created    ${time(run.createdAt)}, updated ${time(run.updatedAt)}`,
    `data       ${run.dataVersion ?? '(not exported yet)'}`,
    `code       ${run.codeVersion}`,
    `env        ${Object.entries(run.environment).map(([k, v]) => `${k}=${v}`).join(', ')}`,
    `spec       ${run.spec}`,
    `metrics    ${metricsText(run.metrics)}`,
    '',
    table(
      ['TRIAL', 'STATE', 'VALUE', 'EPOCHS', 'DEVICE', 'TRY', 'SECONDS', 'PARAMS'],
      trials.map((t) => [
        String(t.trialId) + (t.trialId === run.bestTrial ? '*' : ''), t.state, num(t.value), String(new Set(t.series.map((p) => p.step)).size), t.device, String(t.attempt),
        t.finishedAt === null ? '' : ((t.finishedAt - t.startedAt) / 1000).toFixed(1), Object.entries(t.params).map(([k, v]) => `${k}=${v}`).join(' ') + (t.message ? `  (${t.message})` : ''),
      ]),
    ),
    '',
    table(['ARTIFACT', 'BYTES', 'SHA256', 'PATH'], artifacts.map((a) => [a.name, String(a.bytes), a.sha256, a.path])),
  ];
  console.log(lines.join('\n'));
}

export async function compareRunsCommand(options: ApiOptions, runIds: string[]): Promise<void> {
  const { runs } = await call<{ runs: { run_id: string; model: string; state: string; data_version: string | null; code_version: string; trials: number; best_params: Record<string, string>; metrics: Record<string, number> }[] }>(
    options, `/trainer/runs/compare?runs=${runIds.map(encodeURIComponent).join(',')}`,
  );
  if (printed(options, runs)) return;
  const keys = (pick: (r: (typeof runs)[number]) => Record<string, unknown>): string[] => [...new Set(runs.flatMap((r) => Object.keys(pick(r))))].sort();
  const rows: string[][] = [
    ['model', ...runs.map((r) => r.model)],
    ['state', ...runs.map((r) => r.state)],
    ['trials', ...runs.map((r) => String(r.trials))],
    ['data', ...runs.map((r) => (r.data_version ?? '').slice(0, 19))],
    ['code', ...runs.map((r) => r.code_version.slice(0, 12))],
    ...keys((r) => r.best_params).map((k) => [`param ${k}`, ...runs.map((r) => r.best_params[k] ?? '')]),
    ...keys((r) => r.metrics).map((k) => [k, ...runs.map((r) => num(r.metrics[k]))]),
  ];
  console.log(table(['', ...runs.map((r) => r.run_id)], rows));
}

export async function cancelRunCommand(options: ApiOptions, runId: string): Promise<void> {
  const { run } = await call<{ run: RunRecord }>(options, `/trainer/runs/${encodeURIComponent(runId)}/cancel`, { method: 'POST', headers: adminHeaders(options, 'cancel') });
  if (!printed(options, run)) console.log(`run ${run.runId}: ${run.state} (${run.message})`);
}


/** Exit status 0 when every metric came out identical, 1 otherwise. */
export async function reproduceCommand(options: ApiOptions, runId: string): Promise<number> {
  const report = await call<ReproduceReport>(options, `/trainer/runs/${encodeURIComponent(runId)}/reproduce`, { method: 'POST', headers: adminHeaders(options, 'reproduce') });
  if (!printed(options, report)) {
    console.log(`run ${report.run_id}: ${report.trainer} trainer, trial ${report.trial}, seed ${report.seed}, data ${report.data_version} (${(report.duration_ms / 1000).toFixed(1)} s)`);
    console.log(table(['METRIC', 'RECORDED', 'REPRODUCED', ''], report.metrics.map((m) => [m.name, String(m.recorded), m.reproduced === null ? '(missing)' : String(m.reproduced), m.identical ? 'identical' : 'DIFFERS'])));
    console.log(`artifact   ${report.artifact.identical ? 'identical' : 'differs'} (${report.artifact.recorded ?? '?'} / ${report.artifact.reproduced ?? '?'})`);
    console.log(report.identical ? 'reproduced exactly' : 'NOT reproduced exactly');
  }
  return report.identical ? 0 : 1;
}
