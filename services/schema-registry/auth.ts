import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { registryErrors } from './errors.js';

/** Credentials every registry request must present as HTTP Basic auth. */
export interface BasicAuthCredentials {
  user: string;
  password: string;
}

/**
 * Who may write (register, delete, change compatibility) when no Basic
 * credentials guard every route: anyone presenting one of `tokens` (as
 * `Bearer <token>`, or as the password of HTTP Basic with any user), or
 * everyone with `'open'`. Empty tokens never match, so `{ tokens: [] }`
 * refuses every write.
 */
export type RegistryWriteAuth = { readonly tokens: readonly string[] } | 'open';

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
    const basic = basicCredentials(req.headers.authorization);
    // Both comparisons always run: which part was wrong must not show either.
    const userOk = timingSafeEqual(digest(basic?.user ?? ''), expectedUser);
    const passwordOk = timingSafeEqual(digest(basic?.password ?? ''), expectedPassword);
    if (!(userOk && passwordOk) || !basic) throw registryErrors.unauthorized();
  };
}

/**
 * Fastify onRequest hook for write routes: the request must present one of
 * `tokens` as `Bearer <token>` (scheme in any case) or as the password of
 * HTTP Basic (Confluent clients only speak Basic; the user name is ignored).
 * 401 with error_code 40101 otherwise. The presented secret is compared, as a
 * sha256 digest, with every token, so neither which one matched nor their
 * lengths show in the response time.
 */
export function requireWriteToken(tokens: readonly string[]) {
  const expected = tokens.filter((t) => t !== '').map(digest);
  return async (req: FastifyRequest): Promise<void> => {
    const presented = presentedSecret(req.headers.authorization);
    const presentedDigest = digest(presented);
    let matched = false;
    for (const e of expected) matched = timingSafeEqual(presentedDigest, e) || matched;
    if (!matched || presented === '') throw registryErrors.writeUnauthorized();
  };
}

/** The user and password of an `Authorization: Basic …` header (scheme in any case), if it is one. */
function basicCredentials(header: string | undefined): BasicAuthCredentials | undefined {
  if (!header || !/^basic\s+/i.test(header)) return undefined;
  const decoded = Buffer.from(header.replace(/^basic\s+/i, ''), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The Bearer token, or the Basic password, of an Authorization header; '' when neither. */
function presentedSecret(header: string | undefined): string {
  // Auth schemes are case-insensitive (RFC 9110 §11.1).
  if (header && /^bearer\s+/i.test(header)) return header.replace(/^bearer\s+/i, '');
  return basicCredentials(header)?.password ?? '';
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
