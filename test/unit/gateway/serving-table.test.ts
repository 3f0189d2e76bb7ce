import { describe, expect, it } from 'vitest';
import { ModelUnavailableError, NotFoundError, silentLogger } from '../../../services/common/index.js';
import { createServingTable } from '../../../services/gateway/serving-table.js';
import { createVersionCache } from '../../../services/gateway/version-cache.js';
import type { ModelPlan, Scorer, VersionRecord } from '../../../services/gateway/types.js';

const version = (v: string, sha = `sha-${v}`): VersionRecord => ({ model: 'm', version: v, artifactUri: `/a/${v}`, artifactSha256: sha, artifactFormat: 'driftloop.builtin', artifacts: {} });

/** Scorers that only record their life: what is loaded, what is closed. */
function fakeLoader(failing = new Set<string>()) {
  const loads: string[] = [];
  const closed: string[] = [];
  const load = async (r: VersionRecord): Promise<Scorer> => {
    loads.push(r.version);
    if (failing.has(r.artifactSha256)) throw new Error(`bad sha for ${r.version}`);
    return { format: 'driftloop.builtin', classes: ['a', 'b'], positiveClass: 'b', preprocessing: { numeric: [{ name: 'x', mean: 0, std: 1 }], categorical: [] }, score: async () => { throw new Error('unused'); }, close: async () => void closed.push(r.version) };
  };
  return { load, loads, closed };
}

function table(plans: { current: ModelPlan[] }, loader = fakeLoader()) {
  const reads: (readonly string[])[] = [];
  const t = createServingTable({
    readPlans: async (models) => {
      reads.push(models);
      await new Promise((r) => setTimeout(r, 1));
      return plans.current.filter((p) => models.length === 0 || models.includes(p.model));
    },
    cache: createVersionCache({ load: loader.load }),
    logger: silentLogger(),
  });
  return { t, reads, ...loader };
}

describe('serving table', () => {
  it('answers 503 before the first read, then 404 for unknown models and for a model without champion', async () => {
    const plans = { current: [{ model: 'orphan', champion: null, rollout: null }] as ModelPlan[] };
    const { t } = table(plans);
    expect(() => t.lookup('orphan')).toThrow(ModelUnavailableError);
    await t.refresh();
    expect(() => t.lookup('nope')).toThrow(new NotFoundError('model nope'));
    expect(() => t.lookup('orphan')).toThrow('model orphan not found: it has versions but none is champion yet');
  });

  it('swaps a new champion in whole while a request on the old one finishes on it; the old version closes after', async () => {
    const plans = { current: [{ model: 'm', champion: version('1'), rollout: null }] as ModelPlan[] };
    const { t, closed } = table(plans);
    await t.refresh();
    const old = t.lookup('m');
    old.enter();
    plans.current = [{ model: 'm', champion: version('2'), rollout: null }];
    await t.refresh(['m']);
    expect(t.lookup('m').champion.version).toBe('2');
    expect(old.champion.version).toBe('1');
    expect(closed).toEqual([]);
    old.leave();
    expect(closed).toEqual(['1']);
  });

  it('reuses loaded versions across weight changes and a promotion, and loads each version once', async () => {
    const canary = (weight: number): ModelPlan => ({ model: 'm', champion: version('1'), rollout: { rolloutId: 'r', phase: 'canary', state: 'running', weight, version: version('2') } });
    const plans = { current: [canary(0.1)] };
    const { t, loads, closed } = table(plans);
    await t.refresh();
    const first = t.lookup('m');
    plans.current = [canary(0.5)];
    await t.refresh();
    expect(t.lookup('m')).not.toBe(first);
    expect(t.lookup('m').canary).toMatchObject({ weight: 0.5 });
    expect(t.lookup('m').canary!.version).toBe(first.canary!.version);
    plans.current = [{ model: 'm', champion: version('2'), rollout: null }];
    await t.refresh();
    expect(t.lookup('m').champion).toBe(first.canary!.version);
    expect(loads).toEqual(['1', '2']);
    expect(closed).toEqual(['1']);
  });

  it('keeps the previous deployment when the planned one cannot load, says why, and recovers when the record is fixed', async () => {
    const plans = { current: [{ model: 'm', champion: version('1'), rollout: null }] as ModelPlan[] };
    const { t } = table(plans, fakeLoader(new Set(['wrong'])));
    await t.refresh();
    plans.current = [{ model: 'm', champion: version('2', 'wrong'), rollout: null }];
    await t.refresh();
    expect(t.lookup('m').champion.version).toBe('1');
    expect(t.entries().get('m')!.error).toBe('bad sha for 2');
    plans.current = [{ model: 'm', champion: version('2'), rollout: null }];
    await t.refresh();
    expect(t.lookup('m').champion.version).toBe('2');
    expect(t.entries().get('m')!.error).toBeNull();
  });

  it('answers 503 with the load error for a model whose first champion fails, and forgets models that disappear', async () => {
    const plans = { current: [{ model: 'm', champion: version('1', 'wrong'), rollout: null }] as ModelPlan[] };
    const { t } = table(plans, fakeLoader(new Set(['wrong'])));
    await t.refresh();
    expect(() => t.lookup('m')).toThrow('model m is not available: its champion 1 failed to load: bad sha for 1');
    plans.current = [];
    await t.refresh();
    expect(() => t.lookup('m')).toThrow(NotFoundError);
  });

  it('merges refresh requests made while one runs into a single next read', async () => {
    const plans = { current: [{ model: 'm', champion: version('1'), rollout: null }] as ModelPlan[] };
    const { t, reads } = table(plans);
    const first = t.refresh(['a']);
    await new Promise((r) => setImmediate(r));
    expect(reads).toEqual([['a']]);
    // While 'a' is being read:
    const merged = [t.refresh(['b']), t.refresh(['c']), t.refresh(['b'])];
    await Promise.all([first, ...merged]);
    expect(reads).toEqual([['a'], ['b', 'c']]);
    // Requested together, a full read covers the named models.
    await Promise.all([t.refresh(['x']), t.refresh(), t.refresh(['y'])]);
    expect(reads.slice(2)).toEqual([[]]);
  });
});
