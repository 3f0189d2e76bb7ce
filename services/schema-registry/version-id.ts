import { registryErrors } from './errors.js';

/** A version path segment: a number, or the latest version. */
export type VersionId = number | 'latest';

const MAX_VERSION = 2 ** 31 - 1;

/** Parses `latest`, `-1` (Confluent's alias of latest) or 1…2^31-1; 42202 otherwise. */
export function parseVersionId(raw: string): VersionId {
  if (raw === 'latest' || raw === '-1') return 'latest';
  const n = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_VERSION) throw registryErrors.invalidVersion(raw);
  return n;
}
