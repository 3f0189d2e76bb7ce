import type { FastifyInstance } from 'fastify';
import { NotFoundError, ShutdownError, ValidationError, requireBearer } from '../common/index.js';
import type { RolloutController } from './service.js';
import { MODEL_NAME_PATTERN } from '../../schemas/index.js';

const ACTOR = /^[A-Za-z0-9_.@:-]{1,64}$/;

interface OperatorBody {
  reason?: unknown;
  actor?: unknown;
  required?: unknown;
}

/**
 * HTTP API of the rollout controller:
 *   GET  /rollout/models/:model                 the active rollout (else the latest) with its checks and next analysis
 *   GET  /rollout/rollouts?model=&limit=N       rollouts, newest first
 *   POST /rollout/models/:model/promote         (admin) skip to promotion {reason?, actor?}
 *   POST /rollout/models/:model/pause           (admin) hold at the current weight {reason?, actor?}
 *   POST /rollout/models/:model/resume          (admin) continue; the step starts over {actor?}
 *   POST /rollout/models/:model/rollback        (admin) weight 0 (or the champion back to previous-champion) {reason, actor?}
 *   POST /rollout/models/:model/approve         (admin) pass the manual gate {reason?, actor?}
 *   POST /rollout/models/:model/gate            (admin) require or waive the manual gate for this rollout {required: boolean, actor?}
 */
export async function registerRolloutRoutes(app: FastifyInstance, options: { rollout: () => RolloutController | undefined; adminToken: string }): Promise<void> {
  const running = (): RolloutController => {
    const rollout = options.rollout();
    if (!rollout) throw new ShutdownError('the rollout controller is not running');
    return rollout;
  };
  const admin = { preHandler: requireBearer(options.adminToken) };
  const modelParam = (params: unknown): string => {
    const model = (params as { model: string }).model;
    if (!MODEL_NAME_PATTERN.test(model)) throw new ValidationError('/model', `must match ${MODEL_NAME_PATTERN.source}`);
    return model;
  };
  const body = (req: { body?: unknown }): OperatorBody => {
    const b = (req.body ?? {}) as OperatorBody;
    if (typeof b !== 'object' || Array.isArray(b)) throw new ValidationError('/', 'must be a JSON object');
    return b;
  };
  const actorOf = (b: OperatorBody): string => {
    if (b.actor === undefined) return 'api';
    if (typeof b.actor !== 'string' || !ACTOR.test(b.actor)) throw new ValidationError('/actor', `must match ${ACTOR.source}`);
    return b.actor;
  };
  const reasonOf = (b: OperatorBody, required: boolean): string => {
    if (b.reason === undefined && !required) return '';
    if (typeof b.reason !== 'string' || !b.reason.trim() || b.reason.length > 500) throw new ValidationError('/reason', `must be a non-empty string of at most 500 characters${required ? ' (required)' : ''}`);
    return b.reason.trim();
  };

  app.get('/rollout/models/:model', async (req) => {
    const model = modelParam(req.params);
    const status = await running().status(model);
    if (!status) throw new NotFoundError(`rollout of model ${model}`);
    return { rollout: status.rollout, next_analysis_at: status.nextAnalysisAt === null ? null : new Date(status.nextAnalysisAt).toISOString() };
  });

  app.get('/rollout/rollouts', async (req) => {
    const q = req.query as { model?: string; limit?: string };
    if (q.model !== undefined && !MODEL_NAME_PATTERN.test(q.model)) throw new ValidationError('/model', `must match ${MODEL_NAME_PATTERN.source}`);
    const limit = Number(q.limit ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ValidationError('/limit', 'must be an integer from 1 to 1000');
    return { rollouts: await running().history({ model: q.model, limit }) };
  });

  const operation = (name: string, run: (c: RolloutController, model: string, b: OperatorBody) => Promise<unknown>): void => {
    app.post(`/rollout/models/:model/${name}`, admin, async (req) => {
      const model = modelParam(req.params);
      return { rollout: await run(running(), model, body(req)) };
    });
  };
  operation('promote', (c, model, b) => c.promote(model, actorOf(b), reasonOf(b, false) || 'manual promotion'));
  operation('pause', (c, model, b) => c.pause(model, actorOf(b), reasonOf(b, false) || 'manual pause'));
  operation('resume', (c, model, b) => c.resume(model, actorOf(b)));
  operation('rollback', (c, model, b) => c.rollback(model, actorOf(b), reasonOf(b, true)));
  operation('approve', (c, model, b) => c.approve(model, actorOf(b), reasonOf(b, false)));
  operation('gate', (c, model, b) => {
    if (typeof b.required !== 'boolean') throw new ValidationError('/required', 'must be true or false');
    return c.setManualGate(model, b.required, actorOf(b));
  });
}
