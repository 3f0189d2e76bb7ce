/**
 * `driftloop rollout <model>`, `promote`, `rollback`, `pause`, `resume`: the
 * rollout controller from the command line, through its HTTP API.
 */
import type { RolloutRecord } from '../../rollout/index.js';
import { adminHeaders, call, table, time, printed, type ApiOptions } from './api.js';

const describe = (r: RolloutRecord): string =>
  `model ${r.model} version ${r.version} (champion ${r.championVersion ?? 'none'}): ${r.state}, ${r.phase} step ${r.step}/${r.steps.length}, weight ${(r.weight * 100).toFixed(0)}%${r.reason ? ` (${r.reason})` : ''}`;

export async function showRolloutCommand(options: ApiOptions, model: string): Promise<void> {
  const shown = await call<{ rollout: RolloutRecord; next_analysis_at: string | null }>(options, `/rollout/models/${encodeURIComponent(model)}`);
  if (printed(options, shown)) return;
  const r = shown.rollout;
  console.log(describe(r));
  console.log(`started ${time(r.startedAt)}, step started ${time(r.stepStartedAt)}${shown.next_analysis_at ? `, next analysis ${shown.next_analysis_at}` : ''}, failed checks ${r.failedChecks}`);
  if (r.checks.length) console.log(table(['CHECK', 'PASSED', 'VALUE', 'THRESHOLD', 'DETAIL'], r.checks.map((c) => [c.name, c.passed ? 'yes' : 'NO', String(c.value), String(c.threshold), c.detail])));
}

/** promote, pause, resume, rollback, approve (the manual gate). */
export async function rolloutOperationCommand(options: ApiOptions, operation: 'promote' | 'pause' | 'resume' | 'rollback' | 'approve', model: string, body: { reason?: string; actor: string }): Promise<void> {
  const { rollout } = await call<{ rollout: RolloutRecord }>(options, `/rollout/models/${encodeURIComponent(model)}/${operation}`, {
    method: 'POST', headers: { ...adminHeaders(options, operation), 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  if (!printed(options, rollout)) console.log(describe(rollout));
}
