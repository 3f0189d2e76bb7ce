import { createHmac } from 'node:crypto';
import { DeliveryError, ShutdownError, errorMessage } from '../errors.js';
import { safeEqual } from './auth.js';

const SIGNATURE_PREFIX = 'sha256=';

/** `sha256=<hex>` over `timestamp + "." + body`, as driftloop signs what it posts (alerts, rollout events). */
export function signDriftloopPayload(secret: string, timestamp: string, body: string | Buffer): string {
  return SIGNATURE_PREFIX + createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/**
 * For receivers of driftloop's webhooks (alerts, rollout events): true when `header` (X-Driftloop-Signature)
 * is the HMAC of `timestamp` (X-Driftloop-Timestamp, Unix ms) and the raw
 * `body`, and the timestamp is within `maxSkewMs` of `now`. Compares in
 * constant time. Pass `maxSkewMs: Infinity` to skip the freshness check.
 */
export function verifyDriftloopSignature(
  secret: string,
  timestamp: string,
  body: string | Buffer,
  header: string,
  options: { now?: number; maxSkewMs?: number } = {},
): boolean {
  const { now = Date.now(), maxSkewMs = 300_000 } = options;
  if (!secret || !/^\d{1,16}$/.test(timestamp) || !header.startsWith(SIGNATURE_PREFIX)) return false;
  if (Math.abs(now - Number(timestamp)) > maxSkewMs) return false;
  return safeEqual(header.toLowerCase(), signDriftloopPayload(secret, timestamp, body));
}

export interface SignedPost {
  url: string;
  /** The URL's host, as errors and logs name the receiver. */
  host: string;
  /** JSON text. */
  body: string;
  /** Sent as `Idempotency-Key`, the same on every retry, so receivers can drop repeats. */
  idempotencyKey: string;
  /** Signs `X-Driftloop-Timestamp` + body as `X-Driftloop-Signature` when set. */
  hmacSecret?: string;
  bearerToken?: string;
  /** The sending time, in the timestamp header (ms). */
  now: number;
  timeoutMs: number;
  /** The sender's own shutdown: aborting it ends the attempt with a ShutdownError. */
  stopping: AbortSignal;
  /** What is being sent, for the shutdown message: "alert", "webhook". */
  what: string;
}

/**
 * One signed JSON POST, as driftloop's outbound webhooks make it. A 2xx
 * delivers; network errors, timeouts, 429 and 5xx throw a retriable
 * DeliveryError (the caller's `retry` backs off); any other answer, a
 * redirect included, a final one. The body of the answer is not read.
 */
export async function postSigned(p: SignedPost): Promise<void> {
  const timestamp = String(p.now);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': p.idempotencyKey, 'x-driftloop-timestamp': timestamp };
  if (p.hmacSecret) headers['x-driftloop-signature'] = signDriftloopPayload(p.hmacSecret, timestamp, p.body);
  if (p.bearerToken) headers.authorization = `Bearer ${p.bearerToken}`;
  let response: Response;
  try {
    // A redirect is answered as the 3xx it is: a permanent misconfiguration, not retried.
    response = await fetch(p.url, { method: 'POST', headers, body: p.body, redirect: 'manual', signal: AbortSignal.any([AbortSignal.timeout(p.timeoutMs), p.stopping]) });
  } catch (err) {
    if (p.stopping.aborted) throw new ShutdownError(`${p.what} sender closed before the delivery finished`);
    // fetch reports refused connections, resets and DNS failures as TypeError, and its
    // timeout as a TimeoutError: both are the network's fault, so worth another try.
    const reason = (err as Error).name === 'TimeoutError' ? `no answer within ${p.timeoutMs} ms` : errorMessage((err as Error).cause ?? err);
    throw new DeliveryError(`${p.host}: ${reason}`, { host: p.host }, true, { cause: err });
  }
  // Cancelling the unread body frees the connection.
  await response.body?.cancel().catch(() => {});
  if (response.ok) return;
  throw new DeliveryError(`${p.host} answered ${response.status}`, { host: p.host, status: response.status }, response.status === 429 || response.status >= 500);
}
