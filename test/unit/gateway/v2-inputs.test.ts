import { describe, expect, it } from 'vitest';
import { parseV2Inputs } from '../../../services/gateway/v2-inputs.js';

const kinds = new Map<string, 'numeric' | 'categorical'>([['price', 'numeric'], ['day', 'categorical']]);
const parse = (inputs: unknown, max = 10) => {
  let n = 0;
  return parseV2Inputs(inputs, max, { kinds, newEventId: () => `gen-${++n}` });
};
const reason = (inputs: unknown): string => {
  try {
    parse(inputs);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('parsed');
};

describe('v2 inputs', () => {
  it('reads one tensor per feature, with id inputs, [n, 1] shapes, nulls as missing and integers for a categorical feature', () => {
    expect(parse([
      { name: 'price', shape: [2, 1], datatype: 'FP32', data: [[0.5], [null]] },
      { name: 'day', shape: [2], datatype: 'INT64', data: [3, 4] },
      { name: 'region', shape: [2], datatype: 'BYTES', data: ['NSW', 'VIC'] },
      { name: 'entity_id', shape: [2], datatype: 'BYTES', data: ['u1', null] },
    ])).toEqual([
      { eventId: 'gen-1', entityId: 'u1', features: { numeric: { price: 0.5 }, categorical: { day: '3', region: 'NSW' } } },
      { eventId: 'gen-2', entityId: null, features: { numeric: {}, categorical: { day: '4', region: 'VIC' } } },
    ]);
  });

  it('reads one BYTES input of instances, as objects or JSON text', () => {
    expect(parse([{ name: 'instances', shape: [2], datatype: 'BYTES', data: ['{"event_id":"a","price":1}', { numeric: { price: 2 } }] }])).toEqual([
      { eventId: 'a', entityId: null, features: { numeric: { price: 1 }, categorical: {} } },
      { eventId: 'gen-1', entityId: null, features: { numeric: { price: 2 }, categorical: {} } },
    ]);
  });

  it('reads [n, 1] data nested one level, and refuses deeper nesting or rows of several values naming the element', () => {
    expect(parse([{ name: 'price', shape: [2, 1], datatype: 'FP64', data: [[1], 2] }]).map((x) => x.features.numeric.price)).toEqual([1, 2]);
    expect(reason([{ name: 'price', shape: [2, 1], datatype: 'FP64', data: [[[1]], [[2]]] }])).toBe('/inputs/0/data/0/0: must be a value: data nests at most one level ([[v], [v]] for shape [n, 1]) (got an array)');
    expect(reason([{ name: 'price', shape: [1], datatype: 'FP64', data: [[[[[1]]]]] }])).toBe('/inputs/0/data/0/0: must be a value: data nests at most one level ([[v], [v]] for shape [n, 1]) (got an array)');
    expect(reason([{ name: 'price', shape: [2, 1], datatype: 'FP64', data: [[1, 2], [3]] }])).toBe('/inputs/0/data/0: must hold one value per row: [v] for shape [n, 1] (got an array of 2)');
    expect(reason([{ name: 'price', shape: [1], datatype: 'FP64', data: [[]] }])).toBe('/inputs/0/data/0: must hold one value per row: [v] for shape [n, 1] (got an array of 0)');
  });

  it.each([
    ['INT8', -128, 127],
    ['UINT8', 0, 255],
    ['INT16', -32768, 32767],
    ['UINT16', 0, 65535],
    ['INT32', -2147483648, 2147483647],
    ['UINT32', 0, 4294967295],
    ['INT64', -9007199254740991, 9007199254740991],
    ['UINT64', 0, 9007199254740991],
  ])('keeps %s values within [%d, %d], and refuses one past either end naming the element and the range', (datatype, min, max) => {
    const tensor = (v: number) => [{ name: 'price', shape: [1], datatype, data: [v] }];
    expect(parse(tensor(min))[0]!.features.numeric.price).toBe(min);
    expect(parse(tensor(max))[0]!.features.numeric.price).toBe(max);
    // Past 2^53 the next number up is 2 away.
    for (const v of [min - (min < -1e15 ? 2 : 1), max + (max > 1e15 ? 2 : 1), 1.5]) {
      expect(reason(tensor(v))).toBe(`/inputs/0/data/0: must be an integer in [${min}, ${max}] for datatype ${datatype} (got ${v})`);
    }
  });

  it('keeps FP16 and FP32 values within what the datatype holds', () => {
    expect(parse([{ name: 'price', shape: [1], datatype: 'FP16', data: [-65504] }])[0]!.features.numeric.price).toBe(-65504);
    expect(reason([{ name: 'price', shape: [1], datatype: 'FP16', data: [70000] }])).toBe('/inputs/0/data/0: must be within ±65504 for datatype FP16 (got 70000)');
    expect(parse([{ name: 'price', shape: [1], datatype: 'FP32', data: [3e38] }])[0]!.features.numeric.price).toBe(3e38);
    expect(reason([{ name: 'price', shape: [1], datatype: 'FP32', data: [1e39] }])).toBe('/inputs/0/data/0: must be within ±3.4028234663852886e+38 for datatype FP32 (got 1e+39)');
    expect(parse([{ name: 'price', shape: [1], datatype: 'FP64', data: [1e308] }])[0]!.features.numeric.price).toBe(1e308);
  });

  it('names the input, row and reason of every refusal', () => {
    expect(reason([])).toMatch(/^\/inputs: must be a non-empty array/);
    expect(reason([{ name: 'price', shape: [1, 2], datatype: 'FP64', data: [1, 2] }])).toMatch(/^\/inputs\/0\/shape: must be \[n\] or \[n, 1\]/);
    expect(reason([{ name: 'price', shape: [1], datatype: 'BOOL', data: [true] }])).toMatch(/^\/inputs\/0\/datatype: "BOOL" is not allowed/);
    expect(reason([{ name: 'price', shape: [1], datatype: 'FP64', data: ['1'] }])).toBe('/inputs/0/data/0: must be a finite number for datatype FP64 (got "1")');
    expect(reason([{ name: 'price', shape: [1], datatype: 'BYTES', data: ['1'] }])).toBe('/inputs/0/data/0: feature price is numeric for this model: must be a finite number (got "1")');
    expect(reason([{ name: 'day', shape: [1], datatype: 'BYTES', data: [1] }])).toBe('/inputs/0/data/0: must be a string for datatype BYTES (got 1)');
    expect(reason([{ name: 'a', shape: [1], datatype: 'FP64', data: [1] }, { name: 'a', shape: [1], datatype: 'FP64', data: [1] }])).toBe('/inputs/1/name: input "a" is given twice');
    expect(reason([{ name: 'a', shape: [11], datatype: 'FP64', data: Array(11).fill(1) }])).toMatch(/holds 11 instances \(at most 10/);
    expect(reason([{ name: 'instances', shape: [1], datatype: 'FP64', data: [1] }])).toMatch(/input "instances" must be BYTES/);
    expect(reason([{ name: 'instances', shape: [1], datatype: 'BYTES', data: ['{}'] }, { name: 'price', shape: [1], datatype: 'FP64', data: [1] }])).toMatch(/cannot be combined with feature inputs/);
    expect(reason([{ name: 'event_id', shape: [1], datatype: 'BYTES', data: ['x'.repeat(129)] }])).toMatch(/\/inputs\/0\/data\/0: must be a string of 1 to 128 characters/);
    expect(reason([{ name: 'price', shape: [1], datatype: 'FP64', data: [Infinity] }])).toBe('/inputs/0/data/0: must be a finite number (got Infinity)');
    expect(reason([{ name: 'event_id', shape: [1], datatype: 'INT64', data: [7] }])).toBe('/inputs/0/data/0: must be a string of 1 to 128 characters (datatype BYTES)');
  });
});
