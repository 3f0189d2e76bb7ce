import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  ConfigError,
  ShutdownError,
  ValidationError,
  counter,
  quoteInput,
  systemClock,
  type Clock,
  type Logger,
  type Registry,
} from '../../common/index.js';
import type { RetrainCause, RetrainOutcome, RetrainRequester, RetrainStatus } from '../types.js';
import { labelsFingerprint } from '../alerts/fingerprint.js';
import { parseAlertmanagerPayload } from './alertmanager.js';
import { resolveHookAuth, verifyHookAuth, type HookAuthOptions } from './auth.js';
import { createDedupeCache } from './dedupe.js';
import { parseGrafanaPayload } from './grafana.js';
import { escapePointer, parseJsonBody, type AlertSource, type InboundAlert, type InboundPayload } from './payload.js';
import { MODEL_NAME_PATTERN } from '../../../schemas/index.js';
import { unknownModelsError } from '../known-models.js';

export interface DriftHooksOptions {
  /** Resolved per request: routes exist before the drift monitor starts. Undefined answers 503. */
  retrain: () => RetrainRequester | undefined;
  auth: HookAuthOptions;
  /** Alert label that names the model to retrain. @default 'model' */
  modelLabel?: string;
  /** Larger bodies get 413 before they are read. @default 1 MiB */
  maxBodyBytes?: number;
  /** Cause refs remembered to absorb repeated notifications. @default 10_000 */
  dedupeCapacity?: number;
  logger: Logger;
  registry: Registry;
  /** @default systemClock */
  clock?: Clock;
}

/** `duplicate`: this alert was handled moments ago; `resolved`: nothing to retrain. */
export type HookAlertStatus = RetrainStatus | 'duplicate' | 'resolved';

export interface HookAlertResult {
  /** Null only for a resolved alert without the model label. */
  model: string | null;
  fingerprint: string;
  status: HookAlertStatus;
  run_id?: string;
}

export interface HookResponse {
  results: HookAlertResult[];
}

interface PlannedAlert {
  alert: InboundAlert;
  fingerprint: string;
  model: string | undefined;
}

const DETAIL_MAX_CHARS = 500;

/**
 * Inbound alert webhooks that can request a retrain:
 *   POST /hooks/grafana        Grafana's webhook contact point payload
 *   POST /hooks/alertmanager   Alertmanager's webhook_config payload (version "4")
 * Both take `Authorization: Bearer <token>` or an HMAC-SHA256 signature of the
 * raw body (Grafana's hmacConfig scheme, see auth.ts), answer 202 with one
 * result per alert, and act only once every firing alert names a known model.
 *
 * The routes live in their own encapsulated plugin, whose JSON parser keeps the
 * body as the raw Buffer the signature covers; the rest of the app keeps its parser.
 */
export async function registerDriftHooks(app: FastifyInstance, options: DriftHooksOptions): Promise<void> {
  const settings = resolveOptions(options);
  const { auth, modelLabel, maxBodyBytes, clock } = settings;
  const logger = options.logger.child({ component: 'drift-hooks' });
  const alerts = counter(
    options.registry,
    'driftloop_drift_hook_alerts_total',
    'Alerts received on the drift hooks, by outcome; `rejected` counts refused requests (auth, shape, unknown model)',
    ['source', 'outcome'],
  );
  // Cooldown is not remembered: once it ends, a repeat notification of the same alert may open a run.
  const dedupe = createDedupeCache<RetrainOutcome>({ capacity: settings.dedupeCapacity, remember: (outcome) => outcome.status !== 'cooldown' });
  if (!auth.bearerToken && !auth.hmacSecret) logger.warn('drift hooks have neither a bearer token nor an HMAC secret: every request is refused');

  const running = (): RetrainRequester => {
    const requester = options.retrain();
    if (!requester) throw new ShutdownError('the drift monitor is not running');
    return requester;
  };

  /** Checks everything before acting: a payload with one bad alert opens nothing. */
  const plan = async (payload: InboundPayload, requester: RetrainRequester): Promise<PlannedAlert[]> => {
    if (payload.alerts.length > MAX_ALERTS) throw new ValidationError('/alerts', `holds ${payload.alerts.length} alerts; at most ${MAX_ALERTS} per payload`);
    const planned = payload.alerts.map((alert, i): PlannedAlert => {
      const model = alert.labels[modelLabel];
      const at = `/alerts/${i}/labels/${escapePointer(modelLabel)}`;
      if (alert.status === 'firing' && !model) throw new ValidationError(at, `a firing alert needs the '${modelLabel}' label naming the model to retrain`);
      if (model && !MODEL_NAME_PATTERN.test(model)) throw new ValidationError(at, `must be a model name matching ${MODEL_NAME_PATTERN.source}; got ${quoteInput(model)}`);
      return { alert, fingerprint: alert.fingerprint ?? labelsFingerprint(alert.labels), model: model || undefined };
    });
    const models = [...new Set(planned.filter((p) => p.alert.status === 'firing').map((p) => p.model as string))];
    if (models.length > MAX_MODELS) throw new ValidationError('/alerts', `names ${models.length} models; at most ${MAX_MODELS} per payload`);
    const known = await Promise.all(models.map((model) => requester.knowsModel(model)));
    const unknown = models.filter((_, i) => !known[i]);
    if (unknown.length > 0) throw unknownModelsError(unknown);
    return planned;
  };

  const act = async (source: AlertSource, item: PlannedAlert, requester: RetrainRequester): Promise<HookAlertResult> => {
    const { alert, fingerprint, model } = item;
    if (alert.status === 'resolved') return { model: model ?? null, fingerprint, status: 'resolved' };
    const cause = alertCause(source, fingerprint, alert);
    const { value, duplicate } = await dedupe.run(cause.ref, () =>
      requester.request({ model: model as string, cause, requestedBy: `hook:${source}` }),
    );
    if (!duplicate) logger.info({ model, run_id: value.runId, source, ref: cause.ref, status: value.status }, 'alert requested a retrain');
    return { model: model as string, fingerprint, status: duplicate ? 'duplicate' : value.status, run_id: value.runId };
  };

  const handle = (source: AlertSource, parse: (json: unknown) => InboundPayload) => async (req: FastifyRequest): Promise<HookResponse> => {
    let planned: PlannedAlert[];
    let requester: RetrainRequester;
    try {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      verifyHookAuth(req.headers, raw, auth, clock.now());
      requester = running();
      planned = await plan(parse(parseJsonBody(raw)), requester);
    } catch (err) {
      alerts.inc({ source, outcome: 'rejected' });
      logger.warn({ source, reason: (err as Error).message }, 'alert hook request refused');
      throw err;
    }
    const results = await Promise.all(planned.map((item) => act(source, item, requester)));
    for (const result of results) alerts.inc({ source, outcome: result.status });
    return { results };
  };

  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    const route = { bodyLimit: maxBodyBytes };
    scope.post('/hooks/grafana', route, async (req, reply) => reply.status(202).send(await handle('grafana', parseGrafanaPayload)(req)));
    scope.post('/hooks/alertmanager', route, async (req, reply) => reply.status(202).send(await handle('alertmanager', parseAlertmanagerPayload)(req)));
  });
}

/** Alerts one payload may carry (Grafana and Alertmanager group far fewer), and distinct models it may name. */
const MAX_ALERTS = 1000;
const MAX_MODELS = 100;

/** The cause ref is stable across redeliveries of one alert instance and new when it fires again. */
function alertCause(source: AlertSource, fingerprint: string, alert: InboundAlert): RetrainCause {
  const name = alert.labels.alertname ?? 'alert';
  const summary = alert.annotations.summary;
  const detail = summary ? `${name}: ${summary}` : name;
  return {
    kind: 'alert',
    ref: `${source}:${fingerprint}:${alert.startsAt}`,
    detail: detail.length > DETAIL_MAX_CHARS ? `${detail.slice(0, DETAIL_MAX_CHARS - 1)}…` : detail,
  };
}

function resolveOptions(options: DriftHooksOptions) {
  const { modelLabel = 'model', maxBodyBytes = 1024 * 1024, dedupeCapacity = 10_000, clock = systemClock } = options;
  if (!modelLabel) throw new ConfigError('hooks.modelLabel', 'must be a non-empty label name');
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) throw new ConfigError('hooks.maxBodyBytes', `must be a positive integer, got ${maxBodyBytes}`);
  if (!Number.isInteger(dedupeCapacity) || dedupeCapacity < 1) throw new ConfigError('hooks.dedupeCapacity', `must be a positive integer, got ${dedupeCapacity}`);
  if (typeof options.auth?.bearerToken !== 'string' || typeof options.auth.hmacSecret !== 'string') {
    throw new ConfigError('hooks.auth', 'bearerToken and hmacSecret must be strings (empty turns one off; both empty refuses every request)');
  }
  const auth = resolveHookAuth(options.auth);
  if (!(auth.maxSkewMs > 0)) throw new ConfigError('hooks.auth.maxSkewMs', `must be a positive number of milliseconds, got ${auth.maxSkewMs}`);
  return Object.freeze({ modelLabel, maxBodyBytes, dedupeCapacity, clock, auth });
}
