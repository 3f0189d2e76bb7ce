import { randomUUID } from 'node:crypto';
import { ValidationError } from '../common/index.js';
import { MAX_ENTITY_ID_LENGTH, MAX_EVENT_ID_LENGTH, checkBatchSize, checkFeatureCount, checkFeatureName, describe, isObject, parseInstance, placeFeature, type InstanceOptions } from './instances.js';
import type { Instance } from './types.js';

/** Tensor types a feature input may have: numbers are numeric features, BYTES categorical ones (or a model-categorical number as text). */
export const NUMERIC_DATATYPES = ['FP16', 'FP32', 'FP64', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64'] as const;
const DATATYPES: readonly string[] = [...NUMERIC_DATATYPES, 'BYTES'];
/** The input that carries whole instances (v1 objects, or their JSON text) instead of one tensor per feature. */
export const INSTANCES_INPUT = 'instances';
/** BYTES inputs that carry ids, not features. */
export const ID_INPUTS = { event_id: MAX_EVENT_ID_LENGTH, entity_id: MAX_ENTITY_ID_LENGTH } as const;

interface TensorInput {
  name: string;
  datatype: string;
  rows: number;
  data: unknown[];
  path: string;
}

/** The integer datatypes' ranges; 64-bit ones stop at what a JSON number holds exactly. */
const INTEGER_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  INT8: [-128, 127],
  UINT8: [0, 255],
  INT16: [-32_768, 32_767],
  UINT16: [0, 65_535],
  INT32: [-2_147_483_648, 2_147_483_647],
  UINT32: [0, 4_294_967_295],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
};
/** The largest magnitude each float datatype holds without overflowing to infinity (FP16 rounds up to it below 65520). */
const FLOAT_LIMITS: Readonly<Record<string, { max: number; fits: (v: number) => boolean }>> = {
  FP16: { max: 65_504, fits: (v) => Math.abs(v) < 65_520 },
  FP32: { max: 3.4028234663852886e38, fits: (v) => Number.isFinite(Math.fround(v)) },
};

/**
 * The values of `data`, one per row: row-major (`[v, v]`) or, at most one
 * level deep, one value per row (`[[v], [v]]`, the nested form of [n, 1]).
 */
function rowValues(data: unknown[], path: string): unknown[] {
  if (!data.some(Array.isArray)) return data;
  return data.map((v, j) => {
    if (!Array.isArray(v)) return v;
    if (v.length !== 1) throw new ValidationError(`${path}/${j}`, `must hold one value per row: [v] for shape [n, 1] (got an array of ${v.length})`);
    if (Array.isArray(v[0])) throw new ValidationError(`${path}/${j}/0`, 'must be a value: data nests at most one level ([[v], [v]] for shape [n, 1]) (got an array)');
    return v[0];
  });
}

function tensor(value: unknown, i: number): TensorInput {
  const path = `/inputs/${i}`;
  if (!isObject(value)) throw new ValidationError(path, `must be an object {"name", "shape", "datatype", "data"} (got ${describe(value)})`);
  const { name, shape, datatype, data } = value;
  if (typeof name !== 'string' || name === '') throw new ValidationError(`${path}/name`, `must be a non-empty string (got ${describe(name)})`);
  if (!Array.isArray(shape) || shape.length === 0 || shape.length > 2 || !shape.every((d) => Number.isInteger(d) && d >= 0) || (shape.length === 2 && shape[1] !== 1)) {
    throw new ValidationError(`${path}/shape`, `must be [n] or [n, 1]: one value per instance (got ${JSON.stringify(shape)})`);
  }
  if (typeof datatype !== 'string' || !DATATYPES.includes(datatype)) throw new ValidationError(`${path}/datatype`, `${describe(datatype)} is not allowed (allowed: ${DATATYPES.join(', ')})`);
  if (!Array.isArray(data)) throw new ValidationError(`${path}/data`, `must be an array (got ${describe(data)})`);
  const flat = rowValues(data, `${path}/data`);
  const rows = shape[0] as number;
  if (flat.length !== rows) throw new ValidationError(`${path}/data`, `holds ${flat.length} values, shape ${JSON.stringify(shape)} needs ${rows}`);
  return { name, datatype, rows, data: flat, path: `${path}/data` };
}

function checkElement(t: TensorInput, v: unknown, j: number): unknown {
  if (v === null) return v;
  const path = `${t.path}/${j}`;
  if (t.datatype === 'BYTES') {
    if (typeof v !== 'string') throw new ValidationError(path, `must be a string for datatype BYTES (got ${describe(v)})`);
    return v;
  }
  if (typeof v !== 'number') throw new ValidationError(path, `must be a finite number for datatype ${t.datatype} (got ${describe(v)})`);
  // A non-finite number (1e400 in JSON) is refused by placeFeature, with v1's words.
  if (!Number.isFinite(v)) return v;
  const range = INTEGER_RANGES[t.datatype];
  if (range && !(Number.isInteger(v) && v >= range[0] && v <= range[1])) {
    throw new ValidationError(path, `must be an integer in [${range[0]}, ${range[1]}] for datatype ${t.datatype} (got ${v})`);
  }
  const float = FLOAT_LIMITS[t.datatype];
  if (float && !float.fits(v)) throw new ValidationError(path, `must be within ±${float.max} for datatype ${t.datatype} (got ${v})`);
  return v;
}

function fromInstancesInput(t: TensorInput, options: InstanceOptions): Instance[] {
  if (t.datatype !== 'BYTES') throw new ValidationError(t.path.replace(/\/data$/, '/datatype'), `input "${INSTANCES_INPUT}" must be BYTES: one JSON object per instance`);
  return t.data.map((v, j) => {
    let doc = v;
    if (typeof v === 'string') {
      try {
        doc = JSON.parse(v);
      } catch (err) {
        throw new ValidationError(`${t.path}/${j}`, `is not JSON text of an instance: ${(err as Error).message}`);
      }
    }
    return parseInstance(doc, `${t.path}/${j}`, options);
  });
}

/**
 * The inputs of `POST /v2/models/<name>/infer`, in either layout:
 * - one tensor per feature, each of shape [n] (or [n, 1], whose data may nest
 *   one level: [[v], [v]]): FP16..FP64, INT8..INT64 or UINT8..UINT64 for numeric
 *   features (each value within its datatype's range), BYTES for categorical
 *   ones; optional BYTES inputs `event_id` and `entity_id` carry the ids; null
 *   is a missing value;
 * - a single BYTES input `instances` of shape [n] whose elements are v1
 *   instances (objects, or their JSON text).
 * Feature names, counts and values pass the same checks as v1's (instances.ts).
 */
export function parseV2Inputs(inputs: unknown, maxInstances: number, options: InstanceOptions): Instance[] {
  if (!Array.isArray(inputs) || inputs.length === 0) throw new ValidationError('/inputs', `must be a non-empty array of input tensors (got ${inputs === undefined ? 'nothing' : describe(inputs)})`);
  // Counted before the tensors are read, as v1 counts an instance's names before reading them.
  checkFeatureCount(inputs.filter((v) => !(isObject(v) && typeof v.name === 'string' && Object.hasOwn(ID_INPUTS, v.name))).length, '/inputs');
  const tensors = inputs.map(tensor);
  const seen = new Set<string>();
  for (const [i, t] of tensors.entries()) {
    if (seen.has(t.name)) throw new ValidationError(`/inputs/${i}/name`, `input ${JSON.stringify(t.name)} is given twice`);
    seen.add(t.name);
    if (t.name !== INSTANCES_INPUT && !Object.hasOwn(ID_INPUTS, t.name)) checkFeatureName(t.name, `/inputs/${i}/name`);
  }
  const n = tensors[0]!.rows;
  tensors.forEach((t, i) => {
    if (t.rows !== n) throw new ValidationError(`/inputs/${i}/shape`, `has ${t.rows} rows, input 0 (${tensors[0]!.name}) has ${n}: every input needs one value per instance`);
  });
  checkBatchSize(n, '/inputs/0/shape', maxInstances);
  if (tensors.length === 1 && tensors[0]!.name === INSTANCES_INPUT) return fromInstancesInput(tensors[0]!, options);

  const newEventId = options.newEventId ?? randomUUID;
  const instances: Instance[] = Array.from({ length: n }, () => ({ eventId: '', entityId: null, features: { numeric: {}, categorical: {} } }));
  for (const t of tensors) {
    if (t.name === INSTANCES_INPUT) throw new ValidationError(t.path.replace(/\/data$/, '/name'), `input "${INSTANCES_INPUT}" carries whole instances and cannot be combined with feature inputs`);
    const idMax = Object.hasOwn(ID_INPUTS, t.name) ? ID_INPUTS[t.name as keyof typeof ID_INPUTS] : undefined;
    for (let j = 0; j < n; j++) {
      const v = checkElement(t, t.data[j], j);
      if (idMax === undefined) {
        placeFeature(instances[j]!, t.name, v, `${t.path}/${j}`, options);
        continue;
      }
      if (v === null) continue;
      if (typeof v !== 'string' || v.length === 0 || v.length > idMax) throw new ValidationError(`${t.path}/${j}`, `must be a string of 1 to ${idMax} characters (datatype BYTES)`);
      if (t.name === 'event_id') instances[j]!.eventId = v;
      else instances[j]!.entityId = v;
    }
  }
  for (const instance of instances) if (instance.eventId === '') instance.eventId = newEventId();
  return instances;
}

/** Where row `i` of v2 `inputs` holds `feature`: its tensor's element, or the instance's element of the `instances` input. */
export function v2FeaturePath(inputs: unknown, i: number, feature: string | null): string {
  const tensors = Array.isArray(inputs) ? inputs : [];
  const named = (name: string): number => tensors.findIndex((t) => isObject(t) && t.name === name);
  const k = feature === null ? -1 : named(feature);
  return `/inputs/${k >= 0 ? k : Math.max(named(INSTANCES_INPUT), 0)}/data/${i}`;
}
