import type { FastifyInstance } from 'fastify';
import { NotFoundError, ValidationError, type ClickHouse } from '../common/index.js';
import { getEvaluation, listEvaluations } from './store.js';
import { MODEL_NAME_PATTERN } from '../../schemas/index.js';

const ID = /^[A-Za-z0-9_.:-]{1,160}$/;

/**
 * Evaluations over HTTP (read-only):
 *   GET /evaluator/evaluations?model=&limit=N   newest first
 *   GET /evaluator/evaluations/:id              one, with gates, intervals and slices
 */
export async function registerEvaluatorRoutes(app: FastifyInstance, options: { clickhouse: ClickHouse }): Promise<void> {
  const ch = options.clickhouse;
  app.get('/evaluator/evaluations', async (req) => {
    const q = req.query as { model?: string; limit?: string };
    if (q.model !== undefined && !MODEL_NAME_PATTERN.test(q.model)) throw new ValidationError('/model', `must match ${MODEL_NAME_PATTERN.source}`);
    const limit = Number(q.limit ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ValidationError('/limit', 'must be an integer from 1 to 1000');
    return { evaluations: await listEvaluations(ch, { model: q.model, limit }) };
  });
  app.get('/evaluator/evaluations/:id', async (req) => {
    const id = (req.params as { id: string }).id;
    if (!ID.test(id)) throw new ValidationError('/id', `must match ${ID.source}`);
    const evaluation = await getEvaluation(ch, id);
    if (!evaluation) throw new NotFoundError(`evaluation ${id}`);
    return { evaluation };
  });
}
