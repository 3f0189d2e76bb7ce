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
    const presented = /^bearer +/i.test(header) ? header.replace(/^bearer +/i, '') : '';
    if (!token || !presented || !safeEqual(presented, token)) throw new AuthError();
  };
}
