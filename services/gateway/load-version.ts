import { readFile } from 'node:fs/promises';
import { ValidationError } from '../common/index.js';
import { artifactPath, readVerifiedArtifact } from './artifact-files.js';
import { builtinScorer } from './builtin-scorer.js';
import { onnxScorer } from './onnx-scorer.js';
import { ARTIFACT_FORMATS, type Scorer, type VersionRecord } from './types.js';

function parseJson(bytes: Buffer, uri: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ValidationError('/artifact_uri', `${uri} is not JSON: ${(err as Error).message}`);
  }
}

/** The bytes of artifact `name`: the verified ones when it is the hashed file itself. */
async function artifactBytes(v: VersionRecord, name: string, verified: Buffer): Promise<{ uri: string; bytes: Buffer }> {
  const uri = v.artifacts[name];
  if (uri === undefined) throw new ValidationError(`/artifacts/${name}`, `version ${v.version} of ${v.model} (format ${v.artifactFormat}) has no ${name} artifact`);
  if (artifactPath(uri, `/artifacts/${name}`) === artifactPath(v.artifactUri, '/artifact_uri')) return { uri, bytes: verified };
  return { uri, bytes: await readFile(artifactPath(uri, `/artifacts/${name}`)) };
}

/**
 * Builds the scorer of one model version from its artifacts, refusing a file
 * whose sha256 differs from the registry's record:
 * - `driftloop.builtin`: artifact_uri is the model.json the TypeScript predictor serves;
 * - `onnx`: artifacts.onnx runs the network in onnxruntime, on the
 *   preprocessing of artifacts.model (model.json; artifact_uri when absent).
 */
export async function loadVersion(v: VersionRecord): Promise<Scorer> {
  const what = `version ${v.version} of model ${v.model}`;
  if (!(ARTIFACT_FORMATS as readonly string[]).includes(v.artifactFormat)) {
    throw new ValidationError('/artifact_format', `${what}: ${JSON.stringify(v.artifactFormat)} is not served (allowed: ${ARTIFACT_FORMATS.join(', ')})`);
  }
  const verified = await readVerifiedArtifact(v.artifactUri, v.artifactSha256, what);
  if (v.artifactFormat === 'driftloop.builtin') return builtinScorer(parseJson(verified, v.artifactUri));
  const json = v.artifacts.model === undefined ? { uri: v.artifactUri, bytes: verified } : await artifactBytes(v, 'model', verified);
  const onnx = await artifactBytes(v, 'onnx', verified);
  return onnxScorer(parseJson(json.bytes, json.uri), onnx.bytes);
}
