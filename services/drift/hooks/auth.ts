import type { IncomingHttpHeaders } from 'node:http';
import { AuthError, hmacSha256Hex, safeEqual } from '../../common/index.js';

/** How the alert hooks authenticate a sender. */
export interface HookAuthOptions {
  /** Accepted as `Authorization: Bearer <token>`. Empty: bearer auth is off. */
  bearerToken: string;
  /** Key of the HMAC-SHA256 body signature. Empty: signatures are off. */
  hmacSecret: string;
  /** Header carrying the hex signature (Grafana's hmacConfig.header). @default 'x-grafana-alerting-signature' */
  signatureHeader?: string;
  /** Header carrying the Unix-seconds timestamp (Grafana's hmacConfig.timestampHeader). @default 'x-grafana-alerting-signature-timestamp' */
  timestampHeader?: string;
  /** How far a signed timestamp may be from the clock, either way. @default 300_000 */
  maxSkewMs?: number;
}

export type ResolvedHookAuth = Readonly<Required<HookAuthOptions>>;

export function resolveHookAuth(auth: HookAuthOptions): ResolvedHookAuth {
  return Object.freeze({
    bearerToken: auth.bearerToken,
    hmacSecret: auth.hmacSecret,
    // Node lower-cases incoming header names.
    signatureHeader: (auth.signatureHeader ?? 'x-grafana-alerting-signature').toLowerCase(),
    timestampHeader: (auth.timestampHeader ?? 'x-grafana-alerting-signature-timestamp').toLowerCase(),
    maxSkewMs: auth.maxSkewMs ?? 300_000,
  });
}

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Throws AuthError unless the request carries the configured bearer token or a
 * valid signature of `raw`, the body exactly as received.
 *
 * Signature scheme, as Grafana's HMAC round tripper signs (grafana/alerting
 * http/hmac.go, `HMACRoundTripper.sign`): lowercase hex HMAC-SHA256 keyed with
 * the secret over the body; when a timestamp header is configured Grafana sets
 * it to `strconv.FormatInt(now.Unix(), 10)` (Unix seconds) and the HMAC covers
 * `timestamp + ":" + body`. No `sha256=` prefix. A request that carries the
 * timestamp header is checked under that scheme and must be within `maxSkewMs`
 * of the clock; stripping the header does not help a replayer, since the
 * body-only HMAC differs from the one Grafana sent.
 *
 * With both credentials empty every request is refused: hooks are never open by default.
 */
export function verifyHookAuth(headers: IncomingHttpHeaders, raw: Buffer, auth: ResolvedHookAuth, nowMs: number): void {
  if (auth.bearerToken && bearerMatches(headers, auth.bearerToken)) return;
  if (auth.hmacSecret && signatureMatches(headers, raw, auth, nowMs)) return;
  throw new AuthError();
}

function bearerMatches(headers: IncomingHttpHeaders, token: string): boolean {
  const header = single(headers, 'authorization') ?? '';
  // RFC 7235: the scheme is case-insensitive (`bearer`, `BEARER`).
  const scheme = /^bearer\s+/i.exec(header);
  const presented = scheme ? header.slice(scheme[0].length).trim() : '';
  return presented !== '' && safeEqual(presented, token);
}

function signatureMatches(headers: IncomingHttpHeaders, raw: Buffer, auth: ResolvedHookAuth, nowMs: number): boolean {
  const presented = single(headers, auth.signatureHeader)?.trim().toLowerCase();
  if (!presented) return false;
  const timestamp = single(headers, auth.timestampHeader)?.trim();
  if (timestamp === undefined) return safeEqual(presented, hmacSha256Hex(auth.hmacSecret, raw));
  if (!/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowMs - Number(timestamp) * 1000) > auth.maxSkewMs) return false;
  return safeEqual(presented, hmacSha256Hex(auth.hmacSecret, Buffer.concat([Buffer.from(`${timestamp}:`), raw])));
}
