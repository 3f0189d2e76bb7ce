import {
  ConfigError,
  DeliveryError,
  ShutdownError,
  ValidationError,
  counter,
  errorMessage,
  gauge,
  postSigned,
  retry,
  signDriftloopPayload,
  verifyDriftloopSignature,
  sleep,
  systemClock,
  type Clock,
  type Logger,
  type Registry,
} from '../../common/index.js';
import { labelsFingerprint, labelsGroupKey } from './fingerprint.js';
import { outboxTarget, type AlertOutbox, type SettledOutcome } from './outbox.js';

/** One alert driftloop raises, e.g. "model churn drifted" or "canary rolled back". */
export interface OutboundAlert {
  /** Sent as `Idempotency-Key`, the same on every retry of every webhook, so receivers can drop repeats. */
  idempotencyKey: string;
  status: 'firing' | 'resolved';
  /** Must include `alertname` and `model`; they identify the alert (its fingerprint and groupKey). */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: Date | number;
  /** Omitted while firing: Alertmanager's zero time is sent instead. */
  endsAt?: Date | number;
  /** Link back to what raised it. @default externalUrl */
  generatorURL?: string;
}

export interface AlertWebhook {
  url: string;
  /** Signs each delivery: `X-Driftloop-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`. */
  hmacSecret?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  bearerToken?: string;
}

export interface AlertSenderOptions {
  webhooks: AlertWebhook[];
  logger: Logger;
  registry: Registry;
  /** @default systemClock */
  clock?: Clock;
  /** Backoff for 429, 5xx, timeouts and network errors (common `retry`, with jitter). */
  retry?: {
    /** @default 5 */
    retries?: number;
    /** @default 500 */
    initialDelayMs?: number;
    /** @default 30_000 */
    maxDelayMs?: number;
  };
  /** Deliveries waiting per webhook; past it the oldest is dropped. @default 1000 */
  queueLimit?: number;
  /** One attempt's limit. @default 5000 */
  timeoutMs?: number;
  /** How long close() lets the queues drain before it abandons what is left. @default 10_000 */
  closeTimeoutMs?: number;
  /** Sent as the payload's `externalURL`. @default '' */
  externalUrl?: string;
  /**
   * Where each delivery is recorded before its first attempt and settled
   * after it ends. Given one, the sender starts by sending again what an
   * earlier process left unsettled (a crash, a close, a receiver that stayed
   * down past the retries), so no alert is lost. Omitted: queues live in memory only.
   */
  outbox?: AlertOutbox;
}

export interface AlertSender {
  /** Queues the alert for every webhook and returns at once; throws ValidationError for a malformed alert. */
  send(alert: OutboundAlert): void;
  /** Resolves once every queue is empty and no delivery is in flight. */
  flush(): Promise<void>;
  /** Flushes for at most closeTimeoutMs, then abandons the rest (counted as dropped) and stops. */
  close(): Promise<void>;
}

/** Alertmanager's webhook payload, version "4", carrying one alert. */
export interface AlertmanagerWebhookPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: Array<{
    status: 'firing' | 'resolved';
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    fingerprint: string;
  }>;
}

interface Delivery {
  idempotencyKey: string;
  body: string;
  model: string;
  /** Settles once the outbox holds it; the first attempt waits for that. */
  recorded?: Promise<void>;
}

interface Target {
  readonly webhook: AlertWebhook;
  /** Its identity in the outbox. */
  readonly id: string;
  /** What logs may show: host only, never path, query or credentials. */
  readonly host: string;
  readonly queue: Delivery[];
  working: boolean;
}

/** Alertmanager's "not ended yet". */
const ZERO_TIME = '0001-01-01T00:00:00Z';
/** As every driftloop webhook signs and is checked (common/http/webhook.ts). */
export { signDriftloopPayload, verifyDriftloopSignature };

/** The Alertmanager v4 payload for one alert; its groupKey and fingerprint come from the labels alone. */
export function toAlertmanagerPayload(alert: OutboundAlert, externalUrl = ''): AlertmanagerWebhookPayload {
  const iso = (t: Date | number): string => new Date(t).toISOString();
  return {
    version: '4',
    groupKey: labelsGroupKey(alert.labels),
    truncatedAlerts: 0,
    status: alert.status,
    receiver: 'driftloop',
    groupLabels: { ...alert.labels },
    commonLabels: { ...alert.labels },
    commonAnnotations: { ...alert.annotations },
    externalURL: externalUrl,
    alerts: [
      {
        status: alert.status,
        labels: { ...alert.labels },
        annotations: { ...alert.annotations },
        startsAt: iso(alert.startsAt),
        endsAt: alert.endsAt === undefined ? ZERO_TIME : iso(alert.endsAt),
        generatorURL: alert.generatorURL ?? externalUrl,
        fingerprint: labelsFingerprint(alert.labels),
      },
    ],
  };
}

function validateAlert(alert: OutboundAlert): void {
  if (!alert.idempotencyKey) throw new ValidationError('/idempotencyKey', 'must be a non-empty string');
  if (alert.status !== 'firing' && alert.status !== 'resolved') throw new ValidationError('/status', "must be 'firing' or 'resolved'");
  for (const name of ['alertname', 'model']) {
    if (!alert.labels?.[name]) throw new ValidationError(`/labels/${name}`, 'is required');
  }
  for (const [key, value] of [['startsAt', alert.startsAt], ['endsAt', alert.endsAt]] as const) {
    if (value !== undefined && Number.isNaN(new Date(value).getTime())) throw new ValidationError(`/${key}`, 'must be a Date or Unix ms');
  }
}

function resolveOptions(options: AlertSenderOptions) {
  const { queueLimit = 1000, timeoutMs = 5000, closeTimeoutMs = 10_000, externalUrl = '', clock = systemClock } = options;
  const retryOptions = { retries: 5, initialDelayMs: 500, maxDelayMs: 30_000, ...options.retry };
  const positive = (key: string, value: number, integer = true): void => {
    if (!(value > 0) || (integer && !Number.isInteger(value))) throw new ConfigError(`alerts.${key}`, `must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  };
  positive('queueLimit', queueLimit);
  positive('timeoutMs', timeoutMs);
  positive('closeTimeoutMs', closeTimeoutMs);
  positive('retry.initialDelayMs', retryOptions.initialDelayMs, false);
  positive('retry.maxDelayMs', retryOptions.maxDelayMs, false);
  if (!(retryOptions.retries >= 0)) throw new ConfigError('alerts.retry.retries', `must be 0 or more, got ${retryOptions.retries}`);
  const targets = options.webhooks.map((webhook, i): Target => {
    let url: URL;
    try {
      url = new URL(webhook.url);
    } catch {
      throw new ConfigError(`alerts.webhooks[${i}].url`, 'is not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`alerts.webhooks[${i}].url`, `must be http or https, got ${url.protocol}`);
    return { webhook: Object.freeze({ ...webhook }), id: outboxTarget(webhook.url), host: url.host, queue: [], working: false };
  });
  return { queueLimit, timeoutMs, closeTimeoutMs, externalUrl, clock, retryOptions: Object.freeze(retryOptions), targets };
}

/**
 * Sends driftloop's alerts to webhooks as Alertmanager v4 payloads, one alert
 * per payload, signed and retried. send() only queues: each webhook has its
 * own queue and worker, so a slow or dead receiver delays no other.
 */
export function createAlertSender(options: AlertSenderOptions): AlertSender {
  const settings = resolveOptions(options);
  const { targets, queueLimit, timeoutMs, externalUrl, clock, retryOptions } = settings;
  const { outbox } = options;
  const logger = options.logger.child({ component: 'drift-alerts' });
  const sent = counter(options.registry, 'driftloop_drift_alerts_sent_total', 'Outbound alert deliveries by outcome (one per alert and webhook)', ['outcome']);
  const retries = counter(options.registry, 'driftloop_drift_alert_retries_total', 'Outbound alert delivery attempts that were retried');
  const queued = gauge(options.registry, 'driftloop_drift_alerts_queued', 'Outbound alert deliveries waiting, all webhooks together');
  const stopping = new AbortController();
  let closed = false;
  let idleWaiters: Array<() => void> = [];

  const pending = (): number => targets.reduce((n, t) => n + t.queue.length, 0);
  const idle = (): boolean => targets.every((t) => !t.working && t.queue.length === 0);
  const notifyIfIdle = (): void => {
    if (!idle()) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const attempt = (target: Target, delivery: Delivery): Promise<void> =>
    postSigned({
      url: target.webhook.url, host: target.host, body: delivery.body, idempotencyKey: delivery.idempotencyKey,
      ...(target.webhook.hmacSecret ? { hmacSecret: target.webhook.hmacSecret } : {}), ...(target.webhook.bearerToken ? { bearerToken: target.webhook.bearerToken } : {}),
      now: clock.now(), timeoutMs, stopping: stopping.signal, what: 'alert',
    });

  /** Ends a delivery in the outbox, so no later start sends it again; a delivery not settled is (receivers dedupe on the key). */
  const settle = async (target: Target, delivery: Delivery, outcome: SettledOutcome): Promise<void> => {
    if (!outbox) return;
    try {
      await outbox.settle(target.id, delivery.idempotencyKey, outcome, clock.now());
    } catch (err) {
      logger.warn({ err, host: target.host, idempotency_key: delivery.idempotencyKey }, 'could not settle the alert in the outbox; a restart may send it again');
    }
  };

  const deliver = async (target: Target, delivery: Delivery): Promise<void> => {
    const log = logger.child({ host: target.host, model: delivery.model, idempotency_key: delivery.idempotencyKey });
    await delivery.recorded;
    try {
      await retry(() => attempt(target, delivery), {
        ...retryOptions,
        signal: stopping.signal,
        onRetry: (err, n, delayMs) => {
          retries.inc();
          log.warn({ attempt: n, delay_ms: delayMs, reason: errorMessage(err) }, 'alert delivery failed; retrying');
        },
      });
      sent.inc({ outcome: 'delivered' });
      await settle(target, delivery, 'delivered');
    } catch (err) {
      sent.inc({ outcome: stopping.signal.aborted ? 'dropped' : 'failed' });
      log.error({ reason: errorMessage(err) }, stopping.signal.aborted ? 'alert delivery abandoned at close' : 'alert delivery failed');
      // A refusal (4xx) is final; an outage outlasting the retries, or a close, leaves it for the next start.
      if (!stopping.signal.aborted && err instanceof DeliveryError && !err.retriable) await settle(target, delivery, 'failed');
    }
  };

  const work = async (target: Target): Promise<void> => {
    for (let delivery = target.queue.shift(); delivery; delivery = target.queue.shift()) {
      queued.dec();
      if (stopping.signal.aborted) {
        sent.inc({ outcome: 'dropped' });
        continue;
      }
      await deliver(target, delivery);
    }
    target.working = false;
    notifyIfIdle();
  };

  const enqueue = (target: Target, delivery: Delivery): void => {
    target.queue.push(delivery);
    queued.inc();
    if (target.queue.length > queueLimit) {
      const dropped = target.queue.shift() as Delivery;
      queued.dec();
      sent.inc({ outcome: 'dropped' });
      logger.warn({ host: target.host, model: dropped.model, idempotency_key: dropped.idempotencyKey, queue_limit: queueLimit }, 'alert queue full; oldest alert dropped');
      void dropped.recorded?.then(() => settle(target, dropped, 'dropped'));
    }
    if (!target.working) {
      target.working = true;
      void work(target);
    }
  };

  /** What earlier processes left unsettled goes out first, with its original key and body. */
  const resumed: Promise<void> = (async () => {
    if (!outbox) return;
    try {
      const left = await outbox.unsettled(targets.map((t) => t.id), queueLimit * targets.length);
      for (const entry of left) {
        const target = targets.find((t) => t.id === entry.target);
        if (target && !closed) enqueue(target, { idempotencyKey: entry.idempotencyKey, body: entry.body, model: entry.model });
      }
      if (left.length > 0) logger.info({ alerts: left.length }, 'sending again the alerts an earlier process left unsettled');
    } catch (err) {
      logger.error({ err }, 'could not read the alert outbox; alerts left by an earlier process wait for the next start');
    }
  })();

  const flush = async (): Promise<void> => {
    await resumed;
    if (!idle()) await new Promise<void>((resolve) => idleWaiters.push(resolve));
  };

  return {
    send(alert) {
      validateAlert(alert);
      if (closed) {
        sent.inc({ outcome: 'dropped' }, targets.length);
        logger.warn({ model: alert.labels.model, idempotency_key: alert.idempotencyKey }, 'alert sender is closed; alert dropped');
        return;
      }
      const body = JSON.stringify(toAlertmanagerPayload(alert, externalUrl));
      const model = alert.labels.model as string;
      const at = clock.now();
      const recorded = outbox
        ?.record(targets.map((t) => ({ target: t.id, idempotencyKey: alert.idempotencyKey, model, body, queuedAt: at })))
        .catch((err: unknown) => logger.error({ err, model, idempotency_key: alert.idempotencyKey }, 'could not record the alert in the outbox; sending it anyway, but a crash now would lose it'));
      for (const target of targets) enqueue(target, { idempotencyKey: alert.idempotencyKey, body, model, recorded });
    },
    flush,
    async close() {
      if (closed) return flush();
      closed = true;
      const bound = new AbortController();
      const drained = await Promise.race([flush().then(() => true), sleep(settings.closeTimeoutMs, bound.signal).then(() => false, () => true)]);
      bound.abort();
      if (drained) return;
      logger.warn({ pending: pending() }, 'alert queues did not drain before close; abandoning the rest');
      stopping.abort(new ShutdownError('alert sender closed'));
      await flush();
    },
  };
}
