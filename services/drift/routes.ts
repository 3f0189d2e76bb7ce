import type { FastifyInstance } from 'fastify';
import type { Logger, Registry } from '../common/index.js';
import { NotFoundError, ShutdownError, ValidationError, requireBearer } from '../common/index.js';
import { registerDriftHooks } from './hooks/index.js';
import type { DriftMonitor } from './service.js';
import { MODEL_NAME_PATTERN } from '../../schemas/index.js';
import { unknownModelsError } from './known-models.js';

export interface DriftRoutesOptions {
  drift: () => DriftMonitor | undefined;
  adminToken: string;
  hooks: { bearerToken: string; hmacSecret: string; modelLabel: string };
  logger: Logger;
  registry: Registry;
}

/**
 * HTTP API of the drift monitor:
 *   GET  /drift/models                          models with their newest reference profile and policy
 *   GET  /drift/models/:model/reports?limit=N   latest window reports
 *   POST /drift/models/:model/reference         (admin) build a reference from a time range {version, from, to}
 *   POST /drift/models/:model/retrain           (admin) manual retrain {reason}
 *   POST /hooks/grafana, /hooks/alertmanager    alert webhooks (hook token or HMAC)
 */
export async function registerDriftRoutes(app: FastifyInstance, options: DriftRoutesOptions): Promise<void> {
  const running = (): DriftMonitor => {
    const drift = options.drift();
    if (!drift) throw new ShutdownError('the drift monitor is not running');
    return drift;
  };
  const admin = { preHandler: requireBearer(options.adminToken) };
  const modelParam = (params: unknown): string => {
    const model = (params as { model: string }).model;
    if (!MODEL_NAME_PATTERN.test(model)) throw new ValidationError('/model', `must match ${MODEL_NAME_PATTERN.source}`);
    return model;
  };

  app.get('/drift/models', async () => {
    const drift = running();
    return {
      models: drift.profiles().map((p) => ({
        model: p.model,
        model_version: p.modelVersion,
        profile_id: p.profileId,
        source: p.source,
        monitor_from: new Date(p.monitorFrom).toISOString(),
        features: { numeric: p.numeric.map((f) => f.feature), categorical: p.categorical.map((f) => f.feature) },
        policy: drift.policyFor(p.model),
      })),
    };
  });

  app.get('/drift/models/:model/reports', async (req) => {
    const model = modelParam(req.params);
    const limit = Number((req.query as { limit?: string }).limit ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ValidationError('/limit', 'must be an integer from 1 to 1000');
    const drift = running();
    if (!drift.profiles().some((p) => p.model === model)) throw new NotFoundError(`model ${model}`);
    return { reports: await drift.reports(model, limit) };
  });

  app.post('/drift/models/:model/reference', admin, async (req, reply) => {
    const model = modelParam(req.params);
    const body = (req.body ?? {}) as { version?: unknown; from?: unknown; to?: unknown };
    if (typeof body.version !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(body.version)) throw new ValidationError('/version', 'must be a version name of 1-64 letters, digits, _ . -');
    const from = Date.parse(String(body.from));
    const to = Date.parse(String(body.to));
    if (Number.isNaN(from)) throw new ValidationError('/from', 'must be an ISO-8601 time');
    if (Number.isNaN(to) || to <= from) throw new ValidationError('/to', 'must be an ISO-8601 time after from');
    const profile = await running().buildReference({ model, modelVersion: body.version, from, to });
    return reply.status(201).send({ profile_id: profile.profileId, numeric: profile.numeric.length, categorical: profile.categorical.length, score: profile.score !== null });
  });

  app.post('/drift/models/:model/retrain', admin, async (req, reply) => {
    const model = modelParam(req.params);
    const drift = running();
    if (!(await drift.retrain.knowsModel(model))) throw unknownModelsError([model]);
    const reason = String((req.body as { reason?: unknown } | undefined)?.reason ?? 'manual');
    const outcome = await drift.retrain.request({ model, cause: { kind: 'manual', ref: `manual:${req.id}:${Date.now()}`, detail: reason.slice(0, 500) }, requestedBy: 'api' });
    return reply.status(202).send({ run_id: outcome.runId, status: outcome.status });
  });

  await registerDriftHooks(app, {
    retrain: () => options.drift()?.retrain,
    auth: { bearerToken: options.hooks.bearerToken, hmacSecret: options.hooks.hmacSecret },
    modelLabel: options.hooks.modelLabel,
    logger: options.logger,
    registry: options.registry,
  });
}
