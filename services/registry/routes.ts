import type { FastifyInstance } from 'fastify';
import { NotFoundError, ShutdownError, ValidationError, requireBearer, type ClickHouse } from '../common/index.js';
import { getEvaluation } from '../evaluator/index.js';
import type { Registry } from './registry.js';
import { aliasHistory, getVersion, listAliases, listModels, listVersions } from './store.js';
import { MODEL_NAME_PATTERN } from '../../schemas/index.js';

const VERSION = /^\d{1,12}$/;
const TEXT_MAX = 1000;

interface Body {
  actor?: unknown;
  reason?: unknown;
  version?: unknown;
  tags?: unknown;
}

function text(value: unknown, path: string, required: boolean): string {
  if (value === undefined && !required) return '';
  if (typeof value !== 'string' || (required && value.trim() === '') || value.length > TEXT_MAX) throw new ValidationError(path, `must be ${required ? 'a non-empty' : 'a'} string of at most ${TEXT_MAX} characters`);
  return value;
}

/**
 * The model registry over HTTP. Reads are open; changes need the admin token
 * and say who (`actor`, default "api") and why (`reason`, required):
 *   GET  /registry/models                                   models with their version count
 *   GET  /registry/models/:model                            versions (newest first) and aliases
 *   GET  /registry/models/:model/versions/:version          one version, its lineage and evaluation
 *   GET  /registry/models/:model/aliases/history            every alias move
 *   POST /registry/models/:model/versions/:version/approve  {reason, actor?}
 *   POST /registry/models/:model/versions/:version/reject   {reason, actor?}
 *   POST /registry/models/:model/versions/:version/tags     {tags: {k: v}, actor?}
 *   PUT  /registry/models/:model/aliases/:alias             {version, reason, actor?}
 */
export async function registerRegistryRoutes(app: FastifyInstance, options: { clickhouse: ClickHouse; registry: () => Registry | undefined; adminToken: string }): Promise<void> {
  const ch = options.clickhouse;
  const admin = { preHandler: requireBearer(options.adminToken) };
  const params = (raw: unknown): { model: string; version: string; alias: string } => {
    const p = raw as { model: string; version?: string; alias?: string };
    if (!MODEL_NAME_PATTERN.test(p.model)) throw new ValidationError('/model', `must match ${MODEL_NAME_PATTERN.source}`);
    if (p.version !== undefined && !VERSION.test(p.version)) throw new ValidationError('/version', 'must be a version number such as 3');
    return { model: p.model, version: p.version ?? '', alias: p.alias ?? '' };
  };
  const registry = (): Registry => {
    const r = options.registry();
    if (!r) throw new ShutdownError('the registry is not running');
    return r;
  };
  const change = (req: { body: unknown }): { actor: string; reason: string } => {
    const body = (req.body ?? {}) as Body;
    return { actor: text(body.actor, '/actor', false) || 'api', reason: text(body.reason, '/reason', true) };
  };

  app.get('/registry/models', async () => ({ models: await listModels(ch) }));
  app.get('/registry/models/:model', async (req) => {
    const { model } = params(req.params);
    const versions = await listVersions(ch, { model });
    if (versions.length === 0) throw new NotFoundError(`model ${model}`);
    return { model, versions, aliases: await listAliases(ch, model) };
  });
  app.get('/registry/models/:model/versions/:version', async (req) => {
    const { model, version } = params(req.params);
    const v = await getVersion(ch, model, version);
    if (!v) throw new NotFoundError(`version ${version} of model ${model}`);
    return { version: v, evaluation: v.evaluationId ? await getEvaluation(ch, v.evaluationId) : null, aliases: (await listAliases(ch, model)).filter((a) => a.version === version).map((a) => a.alias) };
  });
  app.get('/registry/models/:model/aliases/history', async (req) => ({ history: await aliasHistory(ch, params(req.params).model) }));
  app.post('/registry/models/:model/versions/:version/approve', admin, async (req) => {
    const { model, version } = params(req.params);
    const { actor, reason } = change(req);
    return { version: await registry().approve(model, version, actor, reason) };
  });
  app.post('/registry/models/:model/versions/:version/reject', admin, async (req) => {
    const { model, version } = params(req.params);
    const { actor, reason } = change(req);
    return { version: await registry().reject(model, version, actor, reason) };
  });
  app.post('/registry/models/:model/versions/:version/tags', admin, async (req) => {
    const { model, version } = params(req.params);
    const body = (req.body ?? {}) as Body;
    const tags = body.tags as Record<string, unknown> | undefined;
    if (!tags || typeof tags !== 'object' || Array.isArray(tags) || !Object.values(tags).every((v) => typeof v === 'string' && v.length <= TEXT_MAX)) throw new ValidationError('/tags', 'must be an object of string values');
    return { version: await registry().setTags(model, version, tags as Record<string, string>, text(body.actor, '/actor', false) || 'api') };
  });
  app.put('/registry/models/:model/aliases/:alias', admin, async (req) => {
    const { model, alias } = params(req.params);
    const body = (req.body ?? {}) as Body;
    const version = text(body.version, '/version', true);
    if (!VERSION.test(version)) throw new ValidationError('/version', 'must be a version number such as 3');
    const { actor, reason } = change(req);
    return { alias, ...(await registry().setAlias(model, alias, version, actor, reason)) };
  });
}
