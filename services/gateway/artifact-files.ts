import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConflictError, ValidationError } from '../common/index.js';

/**
 * An artifact location as the registry records it: a path (absolute, or
 * relative to the gateway's working directory) or a `file://` URL. Other
 * schemes are refused: the gateway reads artifacts from a shared filesystem.
 */
export function artifactPath(uri: string, field: string): string {
  if (uri.startsWith('file://')) return fileURLToPath(uri);
  if (uri === '' || /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(uri)) {
    throw new ValidationError(field, `${JSON.stringify(uri)} is not a readable artifact location (allowed: a path or a file:// URL)`);
  }
  return resolve(uri);
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Reads the artifact the registry hashed and checks its sha256 against the
 * recorded one (hex, optionally `sha256:`-prefixed). The caller builds the
 * model from these very bytes, so what was checked is what is served.
 */
export async function readVerifiedArtifact(uri: string, expectedSha256: string, what: string): Promise<Buffer> {
  const bytes = await readFile(artifactPath(uri, '/artifact_uri'));
  const expected = expectedSha256.trim().toLowerCase().replace(/^sha256:/, '');
  const actual = sha256Hex(bytes);
  if (actual !== expected) {
    throw new ConflictError(`${what}: artifact ${uri} has sha256 ${actual}, the registry recorded ${expected || '(none)'}; refusing to serve it`);
  }
  return bytes;
}
