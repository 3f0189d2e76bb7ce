import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../services/common/index.js';
import { parseV1Request } from '../../../services/gateway/instances.js';

const kinds = new Map<string, 'numeric' | 'categorical'>([['price', 'numeric'], ['day', 'categorical']]);
const ids = () => {
  let n = 0;
  return () => `gen-${++n}`;
};
const parse = (body: unknown, max = 10) => parseV1Request(body, max, { kinds, newEventId: ids() });
const reason = (body: unknown, max = 10): string => {
  try {
    parse(body, max);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as Error).message;
  }
  throw new Error('parsed');
};

describe('v1 instances', () => {
  it('reads the structured form with ids, and the flat form typed by the model (a number for a categorical feature becomes its text)', () => {
    expect(parse({ instances: [{ event_id: 'e1', entity_id: 'u1', numeric: { price: 0.5, other: null }, categorical: { day: '3' } }] })).toEqual([
      { eventId: 'e1', entityId: 'u1', features: { numeric: { price: 0.5 }, categorical: { day: '3' } } },
    ]);
    expect(parse({ instances: [{ price: 0.5, day: 3, unknown_num: 2, unknown_cat: 'a', missing: null }] })).toEqual([
      { eventId: 'gen-1', entityId: null, features: { numeric: { price: 0.5, unknown_num: 2 }, categorical: { day: '3', unknown_cat: 'a' } } },
    ]);
  });

  it('names the instance and field of every refusal', () => {
    expect(reason(null)).toMatch(/^\/: the body must be a JSON object/);
    expect(reason({})).toBe('/instances: must be an array of instances (got nothing)');
    expect(reason({ instances: [] })).toBe('/instances: must hold at least one instance');
    expect(reason({ instances: Array(11).fill({}) })).toBe('/instances: holds 11 instances (at most 10 per request; GATEWAY_MAX_INSTANCES)');
    expect(reason({ instances: [{}, 'x'] })).toMatch(/^\/instances\/1: must be an object/);
    expect(reason({ instances: [{ price: Infinity }] })).toBe('/instances/0/price: must be a finite number (got Infinity)');
    expect(reason({ instances: [{ price: 'cheap' }] })).toBe('/instances/0/price: feature price is numeric for this model: must be a finite number (got "cheap")');
    expect(reason({ instances: [{ numeric: { price: NaN } }] })).toBe('/instances/0/numeric/price: must be a finite number (got NaN)');
    expect(reason({ instances: [{ categorical: { day: 3 } }] })).toBe('/instances/0/categorical/day: must be a string (got 3)');
    expect(reason({ instances: [{ numeric: {}, price: 1 }] })).toBe('/instances/0/price: unknown field (allowed: event_id, entity_id, numeric, categorical)');
    expect(reason({ instances: [{ event_id: '' }] })).toBe('/instances/0/event_id: must be a string of 1 to 128 characters (got "")');
    expect(reason({ instances: [{ entity_id: 7 }] })).toBe('/instances/0/entity_id: must be a string of 1 to 256 characters (got 7)');
    expect(reason({ instances: [{ flag: [1] }] })).toBe('/instances/0/flag: must be a number, a string or null (got an array)');
    expect(reason({ instances: [{ ['f'.repeat(129)]: 1 }] })).toMatch(/a feature name must have 1 to 128 characters/);
  });
});
