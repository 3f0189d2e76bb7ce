/**
 * `driftloop models …`, `approve` and `reject`: the model registry from the
 * command line, through its HTTP API.
 */
import type { AliasMove, ModelVersion } from '../../registry/index.js';
import { adminHeaders, call, metricsText, table, time, printed, type ApiOptions } from './api.js';

export async function listModelsCommand(options: ApiOptions): Promise<void> {
  const { models } = await call<{ models: { model: string; versions: number; latest: string }[] }>(options, '/registry/models');
  if (printed(options, models)) return;
  const rows = await Promise.all(models.map(async (m) => {
    const { aliases } = await call<{ aliases: AliasMove[] }>(options, `/registry/models/${encodeURIComponent(m.model)}`);
    return [m.model, String(m.versions), m.latest, aliases.map((a) => `${a.alias}=${a.version}`).join(' ')];
  }));
  console.log(table(['MODEL', 'VERSIONS', 'LATEST', 'ALIASES'], rows));
}

export async function showModelCommand(options: ApiOptions, model: string): Promise<void> {
  const shown = await call<{ versions: ModelVersion[]; aliases: AliasMove[] }>(options, `/registry/models/${encodeURIComponent(model)}`);
  if (printed(options, shown)) return;
  const aliasesOf = (version: string): string => shown.aliases.filter((a) => a.version === version).map((a) => a.alias).join(',');
  console.log(table(
    ['VERSION', 'STATUS', 'ALIASES', 'RUN', 'CAUSE', 'CREATED', 'BY', 'METRICS'],
    shown.versions.map((v) => [v.version, v.status, aliasesOf(v.version), v.runId, `${v.cause.kind} ${v.cause.ref}`, time(v.createdAt), v.actor, metricsText(v.metrics)]),
  ));
}

export async function decideVersionCommand(options: ApiOptions, decision: 'approve' | 'reject', model: string, version: string, reason: string, actor: string): Promise<void> {
  const { version: v } = await call<{ version: ModelVersion }>(options, `/registry/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(version)}/${decision}`, {
    method: 'POST', headers: { ...adminHeaders(options, decision), 'content-type': 'application/json' }, body: JSON.stringify({ reason, actor }),
  });
  if (!printed(options, v)) console.log(`model ${v.model} version ${v.version}: ${v.status} by ${v.actor} (${v.reason})`);
}
