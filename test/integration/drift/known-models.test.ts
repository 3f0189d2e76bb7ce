import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouse } from '../../../services/common/index.js';
import { createKnownModels } from '../../../services/drift/known-models.js';
import { migratedChdb } from '../../support/clickhouse.js';

describe('the models the drift monitor can act for', () => {
  let ch: ClickHouse;
  beforeAll(async () => {
    ch = await migratedChdb('known_models');
  });
  afterAll(() => ch.close());

  const addEvent = (model: string) =>
    ch.command(
      `INSERT INTO {db:Identifier}.features (model, ts, event_id, entity_id, numeric, categorical, _topic, _partition, _offset)
       VALUES ({model:String}, now64(3), 'e1', '', map('x', 1.0), map(), 'features', 0, 0)`,
      { model },
    );

  it('knows a model once its feature events are stored, remembering "unknown" only for a while', async () => {
    let now = 1_000_000;
    const queries: string[] = [];
    const counting: ClickHouse = { ...ch, query: <T>(sql: string, params?: Record<string, unknown>) => (queries.push(sql), ch.query<T>(sql, params)) };
    const known = createKnownModels({ clickhouse: counting, clock: { now: () => now }, inMemory: (m) => m === 'held', unknownTtlMs: 10_000 });
    expect(await known.knows('held')).toBe(true);
    expect(queries).toHaveLength(0);

    expect(await known.knows('late')).toBe(false);
    const asked = queries.length;
    await addEvent('late');
    // Within the TTL the cached answer stands, without asking ClickHouse again.
    now += 5_000;
    expect(await known.knows('late')).toBe(false);
    expect(queries).toHaveLength(asked);
    now += 6_000;
    expect(await known.knows('late')).toBe(true);
    // Known stays known, from memory.
    const after = queries.length;
    expect(await known.knows('late')).toBe(true);
    expect(queries).toHaveLength(after);
  });

  it('forgets the oldest names beyond its capacity', async () => {
    const now = 0;
    const queries: string[] = [];
    const counting: ClickHouse = { ...ch, query: <T>(sql: string, params?: Record<string, unknown>) => (queries.push(sql), ch.query<T>(sql, params)) };
    const known = createKnownModels({ clickhouse: counting, clock: { now: () => now }, inMemory: () => false, capacity: 2 });
    for (const m of ['a', 'b', 'c']) await known.knows(m);
    const asked = queries.length;
    await known.knows('c');
    expect(queries).toHaveLength(asked);
    await known.knows('a');
    expect(queries.length).toBeGreaterThan(asked);
  });
});
