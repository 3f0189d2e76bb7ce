import avro from 'avsc';
import { avroSchema } from '../../../schemas/index.js';
import { seededRandom } from '../../support/random.js';

const NUMERIC = Array.from({ length: 20 }, (_, i) => `num_${String(i).padStart(2, '0')}`);
const REGIONS = ['nsw', 'vic', 'qld', 'sa', 'tas'];
const DEVICES = ['ios', 'android', 'web'];
const TIERS = ['free', 'pro', 'enterprise'];

/** The bench's feature event: 20 numeric and 3 categorical features, as the issue asks. */
export function benchEvent(i: number, random: () => number) {
  const numeric: Record<string, number> = {};
  for (const name of NUMERIC) numeric[name] = random() * 100 - 50;
  return {
    event_id: `bench-${i}`,
    model: 'bench',
    ts: 1_767_225_600_000 + i,
    entity_id: `user-${i % 10_000}`,
    numeric,
    categorical: { region: REGIONS[i % 5]!, device: DEVICES[i % 3]!, tier: TIERS[i % 7 === 0 ? 2 : i % 2]! },
  };
}

/** Avro-encodes `count` bench events numbered from `first` (payload only, no Confluent header). */
export function encodeBenchEvents(count: number, seed = 42, first = 0): Buffer[] {
  const type = avro.Type.forSchema(avroSchema('features') as avro.Schema);
  const random = seededRandom(seed);
  const out: Buffer[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = type.toBuffer(benchEvent(first + i, random));
  return out;
}
