import type { FastifyInstance } from 'fastify';
import { NotFoundError, ShutdownError, ValidationError, requireBearer, type ClickHouse } from '../common/index.js';
import type { TrainerService } from './service.js';
import { getRun, listArtifacts, listRuns, listTrials } from './store.js';
import { MODEL_NAME_PATTERN } from '../../schemas/index.js';

const RUN = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Experiment tracking over HTTP (read-only):
 *   GET /trainer/runs?model=&open=true&limit=N   runs, newest first
 *   GET /trainer/runs/:run                        one run with its trials and artifacts
 *   GET /trainer/runs/compare?runs=a,b            params and metrics side by side
 *   POST /trainer/runs/:run/reproduce             re-executes a done run, compares metrics (admin)
 *   POST /trainer/runs/:run/cancel                cancels an open run (admin)
 */
export async function registerTrainerRoutes(app: FastifyInstance, options: { clickhouse: ClickHouse; trainer: () => TrainerService | undefined; adminToken: string }): Promise<void> {
  const ch = options.clickhouse;
  const runId = (params: unknown): string => {
    const id = (params as { run: string }).run;
    if (!RUN.test(id)) throw new ValidationError('/run', `must match ${RUN.source}`);
    return id;
  };
  app.get('/trainer/runs', async (req) => {
    const q = req.query as { model?: string; open?: string; limit?: string };
    if (q.model !== undefined && !MODEL_NAME_PATTERN.test(q.model)) throw new ValidationError('/model', `must match ${MODEL_NAME_PATTERN.source}`);
    const limit = Number(q.limit ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new ValidationError('/limit', 'must be an integer from 1 to 1000');
    return { runs: await listRuns(ch, { model: q.model, openOnly: q.open === 'true', limit }) };
  });
  app.get('/trainer/runs/compare', async (req) => {
    const ids = String((req.query as { runs?: string }).runs ?? '').split(',').filter(Boolean);
    if (ids.length < 2 || ids.length > 20 || !ids.every((id) => RUN.test(id))) throw new ValidationError('/runs', 'must list 2 to 20 run ids, comma-separated');
    const runs = await Promise.all(ids.map(async (id) => {
      const run = await getRun(ch, id);
      if (!run) throw new NotFoundError(`run ${id}`);
      const trials = await listTrials(ch, id);
      const best = trials.find((t) => t.trialId === run.bestTrial);
      return { run_id: id, model: run.model, state: run.state, data_version: run.dataVersion, code_version: run.codeVersion, trials: trials.length, best_params: best?.params ?? {}, metrics: run.metrics };
    }));
    return { runs };
  });
  app.get('/trainer/runs/:run', async (req) => {
    const id = runId(req.params);
    const run = await getRun(ch, id);
    if (!run) throw new NotFoundError(`run ${id}`);
    return { run, trials: await listTrials(ch, id), artifacts: await listArtifacts(ch, id) };
  });
  app.post('/trainer/runs/:run/reproduce', { preHandler: requireBearer(options.adminToken) }, async (req) => {
    const id = runId(req.params);
    const trainer = options.trainer();
    if (!trainer) throw new ShutdownError('the trainer is not running');
    return trainer.reproduce(id);
  });
  app.post('/trainer/runs/:run/cancel', { preHandler: requireBearer(options.adminToken) }, async (req) => {
    const id = runId(req.params);
    const trainer = options.trainer();
    if (!trainer) throw new ShutdownError('the trainer is not running');
    return { run: await trainer.cancel(id, 'api') };
  });
}
