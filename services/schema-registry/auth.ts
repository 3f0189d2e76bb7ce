import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { registryErrors } from './errors.js';

/** Credentials every registry request must present as HTTP Basic auth. */
export interface BasicAuthCredentials {
  user: string;
  password: string;
}

/**
 * Fastify onRequest hook requiring `Authorization: Basic …` with these
 * credentials; 401 (Confluent format) otherwise. Both parts are compared as
 * sha256 digests with timingSafeEqual, so neither their content nor their
 * length shows in the response time.
 */
export function requireBasicAuth(credentials: BasicAuthCredentials) {
  const expectedUser = digest(credentials.user);
  const expectedPassword = digest(credentials.password);
  return async (req: FastifyRequest): Promise<void> => {
    const header = req.headers.authorization ?? '';
    const decoded = /^Basic\s+/i.test(header) ? Buffer.from(header.replace(/^Basic\s+/i, ''), 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const user = colon < 0 ? '' : decoded.slice(0, colon);
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    // Both comparisons always run: which part was wrong must not show either.
    const userOk = timingSafeEqual(digest(user), expectedUser);
    const passwordOk = timingSafeEqual(digest(password), expectedPassword);
    if (!(userOk && passwordOk) || colon < 0) throw registryErrors.unauthorized();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
