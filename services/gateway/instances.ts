import { randomUUID } from 'node:crypto';
import { ValidationError } from '../common/index.js';
import type { Preprocessing } from '../trainer/builtin/index.js';
import type { ArtifactFormat, FeatureKinds, Instance } from './types.js';

/** Limits of the contract (schemas/avro/features.avsc), checked here so every emitted event is valid. */
export const MAX_EVENT_ID_LENGTH = 128;
export const MAX_ENTITY_ID_LENGTH = 256;
export const MAX_FEATURE_NAME_LENGTH = 128;
export const MAX_FEATURES = 1000;
/** Fields of the structured instance form; in the flat form `event_id` and `entity_id` are reserved too. */
const STRUCTURED_FIELDS = ['event_id', 'entity_id', 'numeric', 'categorical'];

/** How one answering version standardizes a numeric feature, and whether its scorer reads the result as float32 (ONNX). */
export interface NumericScale {
  version: string;
  mean: number;
  std: number;
  float32: boolean;
}

export interface InstanceOptions {
  kinds: FeatureKinds;
  /**
   * Numeric feature -> how each version that may answer (champion, canary)
   * standardizes it. A value whose standardized form is not finite is refused:
   * the model could only answer NaN for it. None given: no such check.
   */
  scales?: ReadonlyMap<string, readonly NumericScale[]>;
  newEventId?: () => string;
}

type Json = Record<string, unknown>;

export const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'number' ? String(v) : typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : typeof v;

export const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

function idField(value: unknown, path: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw new ValidationError(path, `must be a string of 1 to ${max} characters (got ${describe(value)})`);
  return value;
}

/** The feature-name rule of the contract, for every door (v1 keys, v2 input names). */
export function checkFeatureName(name: string, path: string): void {
  if (name.length === 0 || name.length > MAX_FEATURE_NAME_LENGTH) throw new ValidationError(path, `a feature name must have 1 to ${MAX_FEATURE_NAME_LENGTH} characters`);
}

/** The feature-count rule of the contract, for every door: `count` names given for one instance, nulls included. */
export function checkFeatureCount(count: number, path: string): void {
  if (count > MAX_FEATURES) throw new ValidationError(path, `has ${count} features (at most ${MAX_FEATURES})`);
}

export function finiteNumber(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ValidationError(path, `must be a finite number (got ${describe(value)})`);
  return value;
}

/**
 * How the versions that may answer standardize each numeric feature they read
 * (a feature with std 0 is always 0 to the model, so it needs no check).
 */
export function numericScalesOf(versions: readonly { version: string; scorer: { format: ArtifactFormat; preprocessing: Preprocessing } }[]): Map<string, NumericScale[]> {
  const scales = new Map<string, NumericScale[]>();
  for (const { version, scorer } of versions) {
    for (const f of scorer.preprocessing.numeric) {
      if (!(f.std > 0)) continue;
      let list = scales.get(f.name);
      if (!list) scales.set(f.name, (list = []));
      list.push({ version, mean: f.mean, std: f.std, float32: scorer.format === 'onnx' });
    }
  }
  return scales;
}

/** A finite number for numeric feature `name`, refused when a version would standardize it past what its input can hold. */
function numericValue(name: string, value: unknown, path: string, options: InstanceOptions): number {
  const x = finiteNumber(value, path);
  for (const s of options.scales?.get(name) ?? []) {
    // The same expression as the model's transform, so the check and the model agree to the bit.
    const z = (x - s.mean) / s.std;
    if (!Number.isFinite(s.float32 ? Math.fround(z) : z)) {
      throw new ValidationError(path, `feature ${name} = ${x} is out of range for model version ${s.version}: standardized, (x - ${s.mean}) / ${s.std} overflows ${s.float32 ? 'float32' : 'float64'}`);
    }
  }
  return x;
}

/**
 * Puts one feature value where the model reads it, with the checks every door
 * shares (v1 flat and structured instances, v2 tensors). null is a missing value.
 * `declared`: the map a structured instance put the value in; it must match the
 * kind the model gives the feature. Without one (flat form, v2 tensors) the value
 * types it: a number for a feature the model one-hot encodes becomes its text
 * (3 -> "3"); text for a feature the model reads as a number is refused.
 */
export function placeFeature(instance: Instance, name: string, value: unknown, path: string, options: InstanceOptions, declared: 'numeric' | 'categorical' | null = null): void {
  if (value === null) return;
  const { numeric, categorical } = instance.features;
  if (Object.hasOwn(numeric, name) || Object.hasOwn(categorical, name)) throw new ValidationError(path, `feature ${name} is given twice`);
  const kind = options.kinds.get(name);
  if (declared !== null && kind !== undefined && kind !== declared) {
    throw new ValidationError(path, `feature ${name} is ${kind} for this model: send it under "${kind}", not "${declared}"`);
  }
  if (declared === 'categorical') {
    if (typeof value !== 'string') throw new ValidationError(path, `must be a string (got ${describe(value)})`);
    categorical[name] = value;
    return;
  }
  if (declared === 'numeric') {
    numeric[name] = numericValue(name, value, path, options);
    return;
  }
  if (typeof value === 'number') {
    if (kind === 'categorical') categorical[name] = String(finiteNumber(value, path));
    else numeric[name] = numericValue(name, value, path, options);
    return;
  }
  if (typeof value === 'string') {
    if (kind === 'numeric') throw new ValidationError(path, `feature ${name} is numeric for this model: must be a finite number (got ${describe(value)})`);
    categorical[name] = value;
    return;
  }
  throw new ValidationError(path, `must be a number, a string or null (got ${describe(value)})`);
}

/**
 * One v1 instance, in either form:
 * - structured `{"event_id"?, "entity_id"?, "numeric": {...}, "categorical": {...}}`
 *   (recognized by a `numeric` or `categorical` object); each feature must sit in
 *   the map of the kind the model gives it;
 * - flat `{"<feature>": number | string | null, "event_id"?, "entity_id"?}`:
 *   numbers are numeric features, strings categorical ones (see placeFeature).
 * A missing event_id is generated.
 */
export function parseInstance(value: unknown, path: string, options: InstanceOptions): Instance {
  if (!isObject(value)) throw new ValidationError(path, `must be an object: {"numeric": {...}, "categorical": {...}} or {"<feature>": number | string} (got ${describe(value)})`);
  const eventId = idField(value.event_id, `${path}/event_id`, MAX_EVENT_ID_LENGTH) ?? (options.newEventId ?? randomUUID)();
  const instance: Instance = { eventId, entityId: idField(value.entity_id, `${path}/entity_id`, MAX_ENTITY_ID_LENGTH), features: { numeric: {}, categorical: {} } };
  const structured = isObject(value.numeric) || isObject(value.categorical);
  if (!structured) {
    const names = Object.keys(value).filter((name) => name !== 'event_id' && name !== 'entity_id');
    checkFeatureCount(names.length, path);
    for (const name of names) {
      checkFeatureName(name, `${path}/${name}`);
      placeFeature(instance, name, value[name], `${path}/${name}`, options);
    }
    return instance;
  }
  for (const name of Object.keys(value)) {
    if (!STRUCTURED_FIELDS.includes(name)) throw new ValidationError(`${path}/${name}`, `unknown field (allowed: ${STRUCTURED_FIELDS.join(', ')})`);
  }
  const maps = (['numeric', 'categorical'] as const).filter((kind) => value[kind] !== undefined);
  for (const kind of maps) {
    if (!isObject(value[kind])) throw new ValidationError(`${path}/${kind}`, `must be an object of feature name -> ${kind === 'numeric' ? 'number' : 'string'} (got ${describe(value[kind])})`);
  }
  checkFeatureCount(maps.reduce((n, kind) => n + Object.keys(value[kind] as Json).length, 0), path);
  for (const kind of maps) {
    for (const [name, v] of Object.entries(value[kind] as Json)) {
      checkFeatureName(name, `${path}/${kind}/${name}`);
      placeFeature(instance, name, v, `${path}/${kind}/${name}`, options, kind);
    }
  }
  return instance;
}

/** Where instance `i` of a v1 body holds `feature` (the instance itself when the feature is not known). */
export function v1FeaturePath(body: unknown, i: number, feature: string | null): string {
  const at = `/instances/${i}`;
  const instance = isObject(body) && Array.isArray(body.instances) ? body.instances[i] : undefined;
  if (feature === null || !isObject(instance)) return at;
  if (Object.hasOwn(instance, feature)) return `${at}/${feature}`;
  for (const kind of ['numeric', 'categorical']) {
    const map = instance[kind];
    if (isObject(map) && Object.hasOwn(map, feature)) return `${at}/${kind}/${feature}`;
  }
  return at;
}

/** The batch size check every protocol shares. */
export function checkBatchSize(n: number, path: string, maxInstances: number): void {
  if (n === 0) throw new ValidationError(path, 'must hold at least one instance');
  if (n > maxInstances) throw new ValidationError(path, `holds ${n} instances (at most ${maxInstances} per request; GATEWAY_MAX_INSTANCES)`);
}

/** The body of `POST /v1/models/<name>:predict`: `{"instances": [...]}`. */
export function parseV1Request(body: unknown, maxInstances: number, options: InstanceOptions): Instance[] {
  if (!isObject(body)) throw new ValidationError('', `the body must be a JSON object {"instances": [...]} (got ${describe(body)})`);
  const instances = body.instances;
  if (!Array.isArray(instances)) throw new ValidationError('/instances', `must be an array of instances (got ${instances === undefined ? 'nothing' : describe(instances)})`);
  checkBatchSize(instances.length, '/instances', maxInstances);
  return instances.map((v, i) => parseInstance(v, `/instances/${i}`, options));
}
