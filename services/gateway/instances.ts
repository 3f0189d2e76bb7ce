import { randomUUID } from 'node:crypto';
import { ValidationError } from '../common/index.js';
import type { FeatureKinds, Instance } from './types.js';

/** Limits of the contract (schemas/avro/features.avsc), checked here so every emitted event is valid. */
export const MAX_EVENT_ID_LENGTH = 128;
export const MAX_ENTITY_ID_LENGTH = 256;
export const MAX_FEATURE_NAME_LENGTH = 128;
export const MAX_FEATURES = 1000;
/** Fields of the structured instance form; in the flat form `event_id` and `entity_id` are reserved too. */
const STRUCTURED_FIELDS = ['event_id', 'entity_id', 'numeric', 'categorical'];

export interface InstanceOptions {
  kinds: FeatureKinds;
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

function featureName(name: string, path: string): void {
  if (name.length === 0 || name.length > MAX_FEATURE_NAME_LENGTH) throw new ValidationError(path, `a feature name must have 1 to ${MAX_FEATURE_NAME_LENGTH} characters`);
}

export function finiteNumber(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ValidationError(path, `must be a finite number (got ${describe(value)})`);
  return value;
}

/**
 * Puts one feature value where the model reads it. null is a missing value.
 * A number for a feature the model one-hot encodes becomes its text (3 -> "3");
 * text for a feature the model reads as a number is refused.
 */
export function placeFeature(instance: Instance, name: string, value: unknown, path: string, kinds: FeatureKinds): void {
  if (value === null) return;
  const kind = kinds.get(name);
  if (typeof value === 'number') {
    finiteNumber(value, path);
    if (kind === 'categorical') instance.features.categorical[name] = String(value);
    else instance.features.numeric[name] = value;
    return;
  }
  if (typeof value === 'string') {
    if (kind === 'numeric') throw new ValidationError(path, `feature ${name} is numeric for this model: must be a finite number (got ${describe(value)})`);
    instance.features.categorical[name] = value;
    return;
  }
  throw new ValidationError(path, `must be a number, a string or null (got ${describe(value)})`);
}

function featureMap(value: unknown, path: string, kind: 'numeric' | 'categorical', instance: Instance): void {
  if (value === undefined) return;
  if (!isObject(value)) throw new ValidationError(path, `must be an object of feature name -> ${kind === 'numeric' ? 'number' : 'string'} (got ${describe(value)})`);
  for (const [name, v] of Object.entries(value)) {
    featureName(name, `${path}/${name}`);
    if (v === null) continue;
    if (kind === 'numeric') instance.features.numeric[name] = finiteNumber(v, `${path}/${name}`);
    else if (typeof v === 'string') instance.features.categorical[name] = v;
    else throw new ValidationError(`${path}/${name}`, `must be a string (got ${describe(v)})`);
  }
}

/**
 * One v1 instance, in either form:
 * - structured `{"event_id"?, "entity_id"?, "numeric": {...}, "categorical": {...}}`
 *   (recognized by a `numeric` or `categorical` object);
 * - flat `{"<feature>": number | string | null, "event_id"?, "entity_id"?}`:
 *   numbers are numeric features, strings categorical ones (see placeFeature).
 * A missing event_id is generated.
 */
export function parseInstance(value: unknown, path: string, options: InstanceOptions): Instance {
  if (!isObject(value)) throw new ValidationError(path, `must be an object: {"numeric": {...}, "categorical": {...}} or {"<feature>": number | string} (got ${describe(value)})`);
  const eventId = idField(value.event_id, `${path}/event_id`, MAX_EVENT_ID_LENGTH) ?? (options.newEventId ?? randomUUID)();
  const instance: Instance = { eventId, entityId: idField(value.entity_id, `${path}/entity_id`, MAX_ENTITY_ID_LENGTH), features: { numeric: {}, categorical: {} } };
  const structured = isObject(value.numeric) || isObject(value.categorical);
  let count = 0;
  for (const [name, v] of Object.entries(value)) {
    if (name === 'event_id' || name === 'entity_id') continue;
    if (structured) {
      if (!STRUCTURED_FIELDS.includes(name)) throw new ValidationError(`${path}/${name}`, `unknown field (allowed: ${STRUCTURED_FIELDS.join(', ')})`);
      continue;
    }
    featureName(name, `${path}/${name}`);
    placeFeature(instance, name, v, `${path}/${name}`, options.kinds);
    count++;
  }
  if (structured) {
    featureMap(value.numeric, `${path}/numeric`, 'numeric', instance);
    featureMap(value.categorical, `${path}/categorical`, 'categorical', instance);
    count = Object.keys(instance.features.numeric).length + Object.keys(instance.features.categorical).length;
  }
  if (count > MAX_FEATURES) throw new ValidationError(path, `has ${count} features (at most ${MAX_FEATURES})`);
  return instance;
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
