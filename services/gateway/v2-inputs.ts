import { randomUUID } from 'node:crypto';
import { ValidationError } from '../common/index.js';
import { MAX_ENTITY_ID_LENGTH, MAX_EVENT_ID_LENGTH, MAX_FEATURES, checkBatchSize, describe, isObject, parseInstance, placeFeature, type InstanceOptions } from './instances.js';
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

function flatten(data: unknown[]): unknown[] {
  return data.some(Array.isArray) ? (data.flat(Infinity) as unknown[]) : data;
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
  const flat = flatten(data);
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
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValidationError(path, `must be a finite number for datatype ${t.datatype} (got ${describe(v)})`);
  if (t.datatype.includes('INT') && !Number.isInteger(v)) throw new ValidationError(path, `must be an integer for datatype ${t.datatype} (got ${v})`);
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
 * - one tensor per feature, each of shape [n] (or [n, 1]): FP16..FP64, INT8..INT64
 *   or UINT8..UINT64 for numeric features, BYTES for categorical ones; optional
 *   BYTES inputs `event_id` and `entity_id` carry the ids; null is a missing value;
 * - a single BYTES input `instances` of shape [n] whose elements are v1
 *   instances (objects, or their JSON text).
 */
export function parseV2Inputs(inputs: unknown, maxInstances: number, options: InstanceOptions): Instance[] {
  if (!Array.isArray(inputs) || inputs.length === 0) throw new ValidationError('/inputs', `must be a non-empty array of input tensors (got ${inputs === undefined ? 'nothing' : describe(inputs)})`);
  if (inputs.length > MAX_FEATURES + 2) throw new ValidationError('/inputs', `holds ${inputs.length} inputs (at most ${MAX_FEATURES} features and the two id inputs)`);
  const tensors = inputs.map(tensor);
  const seen = new Set<string>();
  for (const [i, t] of tensors.entries()) {
    if (seen.has(t.name)) throw new ValidationError(`/inputs/${i}/name`, `input ${JSON.stringify(t.name)} is given twice`);
    seen.add(t.name);
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
    const idMax = ID_INPUTS[t.name as keyof typeof ID_INPUTS];
    for (let j = 0; j < n; j++) {
      const v = checkElement(t, t.data[j], j);
      if (idMax === undefined) {
        placeFeature(instances[j]!, t.name, v, `${t.path}/${j}`, options.kinds);
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
