import { describe, expect, it } from 'vitest';
import { builtinScorer } from '../../../services/gateway/builtin-scorer.js';
import { trainBuiltin, type TabularRows } from '../../../services/trainer/builtin/index.js';
import { syntheticRows } from '../../support/served-models.js';

describe('builtin scorer', () => {
  it('scores a feature that was constant in train as contributing nothing, however it varies in requests', async () => {
    const withTransfer = (rows: TabularRows, value: (i: number) => number): TabularRows => rows.map((r, i) => ({ ...r, numeric: { ...r.numeric, transfer: value(i) } }));
    const rows = withTransfer(syntheticRows(300, 5), () => 0.414912);
    const { artifact } = await trainBuiltin({ algorithm: 'mlp', params: { hidden: [8], epochs: 3 }, seed: 2, train: rows.slice(0, 240), validation: rows.slice(240) });
    const scorer = builtinScorer(JSON.parse(JSON.stringify(artifact)));
    const requests = syntheticRows(50, 6);
    const atTrainValue = await scorer.score(withTransfer(requests, () => 0.414912));
    const varying = await scorer.score(withTransfer(requests, (i) => (i % 2 ? 1e6 : -3) * i));
    expect(Array.from(varying.probabilities)).toEqual(Array.from(atTrainValue.probabilities));
    expect(varying.labels).toEqual(atTrainValue.labels);
    // The feature is still one the model reads, so requests may keep sending it.
    expect(scorer.preprocessing.numeric.map((f) => f.name)).toContain('transfer');
  });
});
