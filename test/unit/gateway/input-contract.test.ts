import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../services/common/index.js';
import { numericScalesOf, parseV1Request, type InstanceOptions } from '../../../services/gateway/instances.js';
import { parseV2Inputs } from '../../../services/gateway/v2-inputs.js';

/**
 * One input contract, two doors: the same bad instance sent through KServe v1
 * and v2 is refused with the same reason, each naming the place in its own body.
 */
const kinds = new Map<string, 'numeric' | 'categorical'>([['price', 'numeric'], ['demand', 'numeric'], ['day', 'categorical']]);
// price is standardized with std 0.5 (1e308 overflows it), demand with std 2 (1e308 stays finite).
const scales = numericScalesOf([
  {
    version: '7',
    scorer: {
      format: 'driftloop.builtin',
      preprocessing: { numeric: [{ name: 'price', mean: 0, std: 0.5 }, { name: 'demand', mean: 0, std: 2 }, { name: 'constant', mean: 1, std: 0 }], categorical: [{ name: 'day', categories: ['1', '2'], other: true }] },
    },
  },
]);
const options: InstanceOptions = { kinds, scales, newEventId: () => 'gen' };

type Flat = Record<string, unknown>;
const v1 = (instance: unknown) => parseV1Request({ instances: [instance] }, 10, options);
/** A flat instance as v2 tensors, one per feature: numbers FP64, the rest BYTES. */
const v2PerFeature = (instance: Flat) =>
  parseV2Inputs(
    Object.entries(instance).map(([name, v]) => ({ name, shape: [1], datatype: typeof v === 'number' ? 'FP64' : 'BYTES', data: [v] })),
    10,
    options,
  );
/** Any instance in v2's `instances` input, as JSON text. */
const v2Instances = (instance: unknown) => parseV2Inputs([{ name: 'instances', shape: [1], datatype: 'BYTES', data: [JSON.stringify(instance)] }], 10, options);

function refusal(parse: () => unknown): string {
  try {
    parse();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ code: 'DL_VALIDATION', statusCode: 400 });
    return (err as Error).message;
  }
  throw new Error('accepted');
}

const many = Object.fromEntries(Array.from({ length: 1001 }, (_, k) => [`f${k}`, k]));
const longName = 'f'.repeat(129);

describe('the input contract at both doors', () => {
  it.each<[string, Flat, string, string, string]>([
    ['a feature name longer than 128 characters', { [longName]: 1 }, `/instances/0/${longName}`, '/inputs/0/name', 'a feature name must have 1 to 128 characters'],
    ['more than 1000 features', many, '/instances/0', '/inputs', 'has 1001 features (at most 1000)'],
    ['text for a numeric feature', { price: 'NaN' }, '/instances/0/price', '/inputs/0/data/0', 'feature price is numeric for this model: must be a finite number (got "NaN")'],
    ['a number that overflows to infinity in JSON', { day: '1', price: Infinity }, '/instances/0/price', '/inputs/1/data/0', 'must be a finite number (got Infinity)'],
    [
      'a value the model standardizes to infinity',
      { price: 1e308 },
      '/instances/0/price',
      '/inputs/0/data/0',
      'feature price = 1e+308 is out of range for model version 7: standardized, (x - 0) / 0.5 overflows float64',
    ],
  ])('refuses %s in a flat v1 instance and in v2 feature tensors with the same reason', (_name, instance, v1Path, v2Path, reason) => {
    expect(refusal(() => v1(instance))).toBe(`${v1Path}: ${reason}`);
    expect(refusal(() => v2PerFeature(instance))).toBe(`${v2Path}: ${reason}`);
  });

  it.each<[string, unknown, string, string]>([
    ['a numeric feature sent as categorical', { categorical: { price: '3' } }, '/categorical/price', 'feature price is numeric for this model: send it under "numeric", not "categorical"'],
    ['a categorical feature sent as numeric', { numeric: { day: 3 } }, '/numeric/day', 'feature day is categorical for this model: send it under "categorical", not "numeric"'],
    ['a feature given in both maps', { numeric: { other: 1 }, categorical: { other: 'a' } }, '/categorical/other', 'feature other is given twice'],
    ['a feature name longer than 128 characters', { numeric: { [longName]: 1 } }, `/numeric/${longName}`, 'a feature name must have 1 to 128 characters'],
    ['more than 1000 features', { numeric: many }, '', 'has 1001 features (at most 1000)'],
    ['a value the model standardizes to infinity', { numeric: { price: -1e308 } }, '/numeric/price', 'feature price = -1e+308 is out of range for model version 7: standardized, (x - 0) / 0.5 overflows float64'],
  ])('refuses %s in a structured instance through v1 and through v2 "instances" alike', (_name, instance, at, reason) => {
    expect(refusal(() => v1(instance))).toBe(`/instances/0${at}: ${reason}`);
    expect(refusal(() => v2Instances(instance))).toBe(`/inputs/0/data/0${at}: ${reason}`);
  });

  it('accepts values that stay finite once standardized, nulls under either kind, and features the model does not read', () => {
    const expected = [{ eventId: 'gen', entityId: null, features: { numeric: { demand: 1e308, price: 1e300, constant: 1e308, extra: 5 }, categorical: { day: '2' } } }];
    const flat = { demand: 1e308, price: 1e300, constant: 1e308, extra: 5, day: '2' };
    expect(v1(flat)).toEqual(expected);
    expect(v2PerFeature(flat)).toEqual(expected);
    const structured = { numeric: { demand: 1e308, price: 1e300, constant: 1e308, extra: 5, day: null }, categorical: { day: '2', price: null } };
    expect(v1(structured)).toEqual(expected);
    expect(v2Instances(structured)).toEqual(expected);
  });

  it('checks an ONNX version in float32, the precision its input tensor has', () => {
    const onnx = numericScalesOf([{ version: '8', scorer: { format: 'onnx', preprocessing: { numeric: [{ name: 'price', mean: 0, std: 1 }], categorical: [] } } }]);
    const parse = (price: number) => parseV1Request({ instances: [{ price }] }, 10, { kinds, scales: onnx });
    expect(parse(3e38)[0]!.features.numeric.price).toBe(3e38);
    expect(refusal(() => parse(4e38))).toBe('/instances/0/price: feature price = 4e+38 is out of range for model version 8: standardized, (x - 0) / 1 overflows float32');
  });
});
