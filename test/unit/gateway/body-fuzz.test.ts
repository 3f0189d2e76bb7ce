import fc from 'fast-check';
import { describe, it } from 'vitest';
import { ValidationError } from '../../../services/common/index.js';
import { parseV1Request, type InstanceOptions } from '../../../services/gateway/instances.js';
import { parseV2Inputs } from '../../../services/gateway/v2-inputs.js';

/**
 * Property-based: whatever JSON a caller sends as a KServe v1 body or v2
 * inputs, the gateway reads instances from it or answers 400 naming the
 * field (a ValidationError), never another exception, which would be a 500.
 */
const options: InstanceOptions = {
  kinds: new Map([['price', 'numeric'], ['demand', 'numeric'], ['day', 'categorical']]),
  scales: new Map([['price', [{ version: '1', mean: 0.05, std: 0.02, float32: false }]]]),
  newEventId: () => 'generated',
};

function readsOrRefuses(parse: () => unknown, body: unknown): boolean {
  try {
    parse();
    return true;
  } catch (err) {
    if (err instanceof ValidationError) return true;
    throw new Error(`${JSON.stringify(body)?.slice(0, 300)} threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
  }
}

const value = fc.oneof(fc.double(), fc.integer(), fc.string({ maxLength: 20 }), fc.boolean(), fc.constant(null), fc.constant(1e308), fc.constant(-0));
const featureName = fc.oneof(fc.constantFrom('price', 'demand', 'day', 'event_id', 'entity_id', 'numeric', 'categorical'), fc.string({ maxLength: 12 }));
const nested = fc.letrec((tie) => ({ v: fc.oneof({ depthSize: 'small' }, value, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(featureName, tie('v'), { maxKeys: 4 })) })).v;
const RUNS = { numRuns: 1000 };

describe('prediction bodies under random input', () => {
  it('v1: reads instances from any JSON body, or refuses it naming the field', () => {
    const instance = fc.oneof(fc.dictionary(featureName, nested, { maxKeys: 6 }), fc.record({ numeric: fc.dictionary(featureName, value), categorical: fc.dictionary(featureName, value) }, { requiredKeys: [] }), nested);
    const body = fc.oneof(fc.record({ instances: fc.array(instance, { maxLength: 5 }) }, { requiredKeys: [] }), fc.record({ inputs: nested }, { requiredKeys: [] }), fc.jsonValue());
    fc.assert(fc.property(body, (b) => readsOrRefuses(() => parseV1Request(b, 10, options), b)), RUNS);
  });

  it('v2: reads instances from any inputs, or refuses them naming the field', () => {
    const datatype = fc.oneof(fc.constantFrom('FP16', 'FP32', 'FP64', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'BYTES'), fc.string({ maxLength: 6 }));
    const shape = fc.oneof(fc.array(fc.integer({ min: -1, max: 6 }), { maxLength: 3 }), nested);
    const tensor = fc.record({ name: featureName, shape, datatype, data: fc.oneof(fc.array(nested, { maxLength: 6 }), nested) }, { requiredKeys: [] });
    const inputs = fc.oneof(fc.array(tensor, { maxLength: 4 }), fc.jsonValue());
    fc.assert(fc.property(inputs, (i) => readsOrRefuses(() => parseV2Inputs(i, 10, options), i)), RUNS);
  });
});
