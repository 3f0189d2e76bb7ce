import { ShutdownError, counter, errorMessage, postSigned, retry, sleep, systemClock, type Clock, type Logger, type Registry } from '../common/index.js';

export interface WebhookSenderOptions {
  urls: readonly string[];
  /** Signs each delivery: `X-Driftloop-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`; empty: unsigned. */
  hmacSecret: string;
  logger: Logger;
  registry: Registry;
  clock?: Clock;
  /** Backoff for 5xx answers and network errors. @default { retries: 5, initialDelayMs: 500, maxDelayMs: 30_000 } */
  retry?: { retries?: number; initialDelayMs?: number; maxDelayMs?: number };
  /** One attempt's limit. @default 5000 */
  timeoutMs?: number;
  /** How long close() lets deliveries finish. @default 10_000 */
  closeTimeoutMs?: number;
}

export interface WebhookSender {
  /** Queues `body` (JSON) for every URL and returns at once; `id` is sent as Idempotency-Key on every attempt. */
  post(id: string, body: object): void;
  /** Resolves once nothing is queued or in flight. */
  flush(): Promise<void>;
  /** Flushes for at most closeTimeoutMs, then abandons the rest. */
  close(): Promise<void>;
}

/**
 * Posts rollout events to webhooks, signed like driftloop's drift alerts (a
 * receiver checks them with verifyDriftloopSignature), in order per URL,
 * retrying 5xx answers and network errors with backoff; a 4xx is final.
 */
export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const { urls, hmacSecret, timeoutMs = 5000, closeTimeoutMs = 10_000, clock = systemClock } = options;
  const retryOptions = { retries: 5, initialDelayMs: 500, maxDelayMs: 30_000, ...options.retry };
  const log = options.logger.child({ component: 'rollout-webhooks' });
  const sent = counter(options.registry, 'driftloop_rollout_webhooks_total', 'Rollout event deliveries to webhooks by outcome.', ['outcome']);
  const stopping = new AbortController();
  const queues = urls.map((url) => ({ url, host: new URL(url).host, chain: Promise.resolve() }));

  const attempt = (url: string, host: string, id: string, body: string): Promise<void> =>
    postSigned({ url, host, body, idempotencyKey: id, ...(hmacSecret ? { hmacSecret } : {}), now: clock.now(), timeoutMs, stopping: stopping.signal, what: 'webhook' });

  const pending = (): Promise<void> => Promise.all(queues.map((q) => q.chain)).then(() => undefined);

  return {
    post(id, payload) {
      const body = JSON.stringify(payload);
      for (const q of queues) {
        q.chain = q.chain.then(async () => {
          if (stopping.signal.aborted) return void sent.inc({ outcome: 'dropped' });
          try {
            await retry(() => attempt(q.url, q.host, id, body), {
              ...retryOptions,
              signal: stopping.signal,
              onRetry: (err, n, delayMs) => log.warn({ host: q.host, event_id: id, attempt: n, delay_ms: delayMs, reason: errorMessage(err) }, 'webhook delivery failed; retrying'),
            });
            sent.inc({ outcome: 'delivered' });
          } catch (err) {
            sent.inc({ outcome: stopping.signal.aborted ? 'dropped' : 'failed' });
            log.error({ host: q.host, event_id: id, reason: errorMessage(err) }, 'webhook delivery failed');
          }
        });
      }
    },
    flush: pending,
    async close() {
      const bound = new AbortController();
      const drained = await Promise.race([pending().then(() => true), sleep(closeTimeoutMs, bound.signal).then(() => false, () => true)]);
      bound.abort();
      if (!drained) {
        stopping.abort(new ShutdownError('webhook sender closed'));
        await pending();
      }
    },
  };
}
