import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { NotFoundError, ShutdownError, ValidationError, requireApiKey } from '../common/index.js';
import type { Deployment } from './deployment.js';
import { isObject, numericScalesOf, parseV1Request, v1FeaturePath, type InstanceOptions } from './instances.js';
import { UnscorableInstanceError } from './predictor.js';
import { answeringVersion, requestedOutputs, v1Predictions, v2Metadata, v2Outputs } from './responses.js';
import type { GatewayService } from './service.js';
import type { Instance, InstanceResult } from './types.js';
import { parseV2Inputs, v2FeaturePath } from './v2-inputs.js';

const MODEL = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const REQUEST_ID = /^[\x20-\x7e]{1,256}$/;
/** The contract's latest event time (schemas: ts maximum, 2200-01-01). */
const MAX_EVENT_TIME_MS = 7_258_118_400_000;

interface Params {
  name?: string;
  target?: string;
}

/**
 * The prediction API, compatible with KServe's:
 *   POST /v1/models/<name>:predict       {"instances": [...]} -> {"predictions": [...]}
 *   GET  /v1/models/<name>               {"name", "ready"}
 *   POST /v2/models/<name>/infer         Open Inference Protocol
 *   GET  /v2/models/<name>               metadata: inputs (the champion's features), outputs
 *   GET  /v2/models/<name>/ready         {"name", "ready"}
 *   GET  /v2/health/live, /v2/health/ready
 *   GET  /gateway/models                 what each model serves now, and load errors
 */
export interface GatewayRoutesOptions {
  gateway: () => GatewayService | undefined;
  /** Set: the predict routes need one of them (Bearer or X-API-Key). Empty: open. @default [] */
  apiKeys?: readonly string[];
}

export async function registerGatewayRoutes(app: FastifyInstance, options: GatewayRoutesOptions): Promise<void> {
  const gateway = (): GatewayService => {
    const g = options.gateway();
    if (!g) throw new ShutdownError('the gateway is not running');
    return g;
  };
  const modelName = (name: string | undefined): string => {
    if (name === undefined || !MODEL.test(name)) throw new NotFoundError(`model ${name ?? ''}`);
    return name;
  };

  /** When a trusted caller says the request's events happened (GATEWAY_EVENT_TIME_HEADER), if it says so. */
  const eventTimeOf = (headers: Record<string, string | string[] | undefined>, header: string | undefined): number | undefined => {
    if (!header) return undefined;
    const value = headers[header];
    if (value === undefined) return undefined;
    const text = Array.isArray(value) ? (value[0] ?? '') : value;
    const ms = /^\d{1,15}$/.test(text) ? Number(text) : /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : Number.NaN;
    if (!Number.isFinite(ms) || ms > MAX_EVENT_TIME_MS) throw new ValidationError(`header ${header}`, `must be epoch milliseconds or an ISO-8601 time before 2200; got ${JSON.stringify(text.slice(0, 40))}`);
    return ms;
  };

  /** The input contract of a deployment, built once: feature kinds, and the standardization of the versions that answer (not the shadow's). */
  const contracts = new WeakMap<Deployment, InstanceOptions>();
  const contractOf = (deployment: Deployment): InstanceOptions => {
    let contract = contracts.get(deployment);
    if (!contract) {
      const answering = deployment.canary ? [deployment.champion, deployment.canary.version] : [deployment.champion];
      contracts.set(deployment, (contract = { kinds: deployment.featureKinds, scales: numericScalesOf(answering) }));
    }
    return contract;
  };

  /**
   * Runs a prediction on the deployment the request found; a swap meanwhile changes nothing for it.
   * `featurePath`: where the request holds instance i's feature, to name one the model could not score.
   */
  async function serve(
    name: string,
    headers: Record<string, string | string[] | undefined>,
    parse: (options: InstanceOptions, maxInstances: number) => Instance[],
    featurePath: (i: number, feature: string | null) => string,
  ): Promise<{ results: InstanceResult[]; version: string }> {
    const startedAt = performance.now();
    const g = gateway();
    const eventTime = eventTimeOf(headers, g.settings.eventTimeHeader);
    const deployment = g.lookup(name);
    deployment.enter();
    try {
      const results = await g.predict(deployment, parse(contractOf(deployment), g.settings.maxInstances), startedAt, eventTime);
      return { results, version: answeringVersion(results, deployment) };
    } catch (err) {
      if (err instanceof UnscorableInstanceError) throw new ValidationError(featurePath(err.index, err.feature), err.reason, { cause: err });
      throw err;
    } finally {
      deployment.leave();
    }
  }

  await app.register(async (api) => {
    if (options.apiKeys?.length) api.addHook('onRequest', requireApiKey(options.apiKeys));
    api.addHook('onResponse', async (req, reply) => {
      const protocol = req.url.startsWith('/v1/') ? 'v1' : 'v2';
      const { name, target } = req.params as Params;
      const model = name ?? target?.slice(0, target.lastIndexOf(':'));
      const g = options.gateway();
      if (!g) return;
      const known = model !== undefined && g.knows(model);
      g.metrics.requests.inc({ model: known ? model : 'unknown', protocol, status: String(reply.statusCode) });
    });

    api.post('/v1/models/:target', async (req) => {
      const target = (req.params as Params).target ?? '';
      const colon = target.lastIndexOf(':');
      const verb = colon < 0 ? '' : target.slice(colon + 1);
      if (verb !== 'predict') throw new NotFoundError(`route POST ${req.url}`, 'the v1 API serves POST /v1/models/<name>:predict');
      const { results } = await serve(modelName(target.slice(0, colon)), req.headers, (options, max) => parseV1Request(req.body, max, options), (i, feature) => v1FeaturePath(req.body, i, feature));
      return v1Predictions(results);
    });

    api.post('/v2/models/:name/infer', async (req) => {
      const body = req.body;
      if (!isObject(body)) throw new ValidationError('', 'the body must be a JSON object {"inputs": [...]}');
      if (body.id !== undefined && (typeof body.id !== 'string' || !REQUEST_ID.test(body.id))) throw new ValidationError('/id', 'must be printable text of 1 to 256 characters');
      const wanted = requestedOutputs(body.outputs);
      const name = modelName((req.params as Params).name);
      const { results, version } = await serve(name, req.headers, (options, max) => parseV2Inputs(body.inputs, max, options), (i, feature) => v2FeaturePath(body.inputs, i, feature));
      return { model_name: name, model_version: version, id: (body.id as string | undefined) ?? randomUUID(), outputs: v2Outputs(results, wanted) };
    });
  });

  const readiness = (name: string): { name: string; ready: true } => {
    gateway().lookup(name);
    return { name, ready: true };
  };
  app.get('/v1/models/:name', async (req) => readiness(modelName((req.params as Params).name)));
  app.get('/v2/models/:name/ready', async (req) => readiness(modelName((req.params as Params).name)));
  app.get('/v2/models/:name', async (req) => v2Metadata(gateway().lookup(modelName((req.params as Params).name))));
  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/health/ready', async (_req, reply) => {
    const g = options.gateway();
    let ready = false;
    try {
      g?.checkReady();
      ready = g !== undefined;
    } catch {
      ready = false;
    }
    return reply.status(ready ? 200 : 503).send({ ready });
  });
  app.get('/gateway/models', async () => ({
    models: [...gateway().models().values()].map(({ plan, deployment, error }) => ({
      model: plan.model,
      planned: { champion: plan.champion?.version ?? null, rollout: plan.rollout && { rollout_id: plan.rollout.rolloutId, phase: plan.rollout.phase, state: plan.rollout.state, weight: plan.rollout.weight, version: plan.rollout.version.version } },
      serving: deployment && {
        champion: deployment.champion.version,
        format: deployment.champion.scorer.format,
        canary: deployment.canary && { version: deployment.canary.version.version, weight: deployment.canary.weight, rollout_id: deployment.canary.rolloutId },
        shadow: deployment.shadow && { version: deployment.shadow.version.version, rollout_id: deployment.shadow.rolloutId },
      },
      error,
    })),
  }));
}
