import { timingSafeEqual, createHmac } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { AuthError } from '../errors.js';

/** Compares secrets in constant time, so response timing does not leak them. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function hmacSha256Hex(secret: string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/**
 * Fastify preHandler requiring `Authorization: Bearer <token>`. An empty
 * configured token refuses every request: admin endpoints are never open by default.
 */
export function requireBearer(token: string) {
  return async (req: FastifyRequest): Promise<void> => {
    const header = req.headers.authorization ?? '';
    // Auth schemes are case-insensitive (RFC 9110 §11.1).
    const presented = bearerOf(header);
    if (!token || !presented || !safeEqual(presented, token)) throw new AuthError();
  };
}

/** The bearer token of an Authorization header (scheme matched case-insensitively), or ''. */
function bearerOf(header: string | undefined): string {
  return header && /^bearer +/i.test(header) ? header.replace(/^bearer +/i, '') : '';
}

/**
 * Fastify onRequest hook requiring one of `keys`, as `Authorization: Bearer
 * <key>` or `X-API-Key: <key>` (what KServe and Seldon clients send); every
 * key is compared in constant time.
 */
export function requireApiKey(keys: readonly string[]) {
  const valid = keys.filter((k) => k !== '');
  return async (req: FastifyRequest): Promise<void> => {
    const apiKey = req.headers['x-api-key'];
    const presented = bearerOf(req.headers.authorization) || (typeof apiKey === 'string' ? apiKey : '');
    if (!presented || !valid.some((k) => safeEqual(presented, k))) throw new AuthError('this route needs an API key: Authorization: Bearer <key> or X-API-Key: <key>');
  };
}

/** Paths every probe and scraper must reach without credentials. */
const OPEN_READS = /^\/(healthz|readyz|metrics)$|^\/v2\/health\//;

/**
 * Fastify onRequest hook closing the read routes (GET, HEAD) to callers
 * without `Authorization: Bearer <readToken or adminToken>`; health, readiness,
 * metrics and the routes under `ownAuthPrefixes` (which check their own) stay
 * as they are. Writes are not its business: they need the admin token already.
 */
export function requireReadToken(tokens: readonly string[], ownAuthPrefixes: readonly string[] = []) {
  const valid = tokens.filter((t) => t !== '');
  return async (req: FastifyRequest): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return;
    const path = req.url.split('?')[0]!;
    if (OPEN_READS.test(path) || ownAuthPrefixes.some((p) => path === p || path.startsWith(`${p}/`))) return;
    const presented = bearerOf(req.headers.authorization);
    if (!presented || !valid.some((t) => safeEqual(presented, t))) throw new AuthError('reads need Authorization: Bearer <DRIFTLOOP_READ_TOKEN> (or the admin token)');
  };
}
