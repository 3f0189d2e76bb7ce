import { describe, expect, it } from 'vitest';
import { fitPreprocessor, transform, type TabularRows } from '../../../services/trainer/builtin/index.js';

const train: TabularRows = [
  { numeric: { x: 1, y: 5 }, categorical: { color: 'red' }, label: 'b' },
  { numeric: { x: 3, y: 5 }, categorical: { color: 'blue' }, label: 'a' },
  { numeric: { y: 5, x: NaN }, categorical: { color: 'red' }, label: 'b' },
];

describe('builtin preprocessing', () => {
  it('fits mean, population std and vocabularies on train, ignoring missing values and giving a constant feature std 0', () => {
    const fitted = fitPreprocessor(train);
    // x: present values 1 and 3 -> mean 2, population std sqrt(((1-2)^2 + (3-2)^2) / 2) = 1. y: constant 5 -> std 0.
    expect(fitted.numeric).toEqual([
      { name: 'x', mean: 2, std: 1 },
      { name: 'y', mean: 5, std: 0 },
    ]);
    expect(fitted.categorical).toEqual([{ name: 'color', categories: ['blue', 'red'], other: false }]);
    expect(fitted.classes).toEqual(['a', 'b']);
    expect(fitted.features).toEqual(['x', 'y', 'color=blue', 'color=red']);
  });

  it('transforms validation rows with the train statistics: out-of-range values stay scaled, missing ones and those of a feature constant in train become 0, unseen categories all zeros', () => {
    const fitted = fitPreprocessor(train);
    const validation: TabularRows = [
      { numeric: { x: 7, y: 2 }, categorical: { color: 'green' }, label: 'a' },
      { numeric: { y: 6 }, categorical: { color: 'red' }, label: 'b' },
      { numeric: { x: 2, y: 5, extra: 100 }, categorical: {}, label: 'b' },
    ];
    const m = transform(fitted, validation);
    expect(m.rows).toBe(3);
    expect(m.cols).toBe(4);
    expect(Array.from(m.data)).toEqual([
      // (7 - 2) / 1; y was constant in train -> 0 whatever its value; green unseen in train
      5, 0, 0, 0,
      // x missing -> the train mean -> 0; red
      0, 0, 0, 1,
      // a feature train never had is ignored; no color -> all zeros
      0, 0, 0, 0,
    ]);
  });

  it('keeps the most frequent categories up to the cap and sends the rest, seen or not, to one other column', () => {
    const rows: TabularRows = ['a', 'a', 'a', 'c', 'c', 'b', 'b', 'd'].map((city) => ({ numeric: {}, categorical: { city }, label: 'y' }));
    const fitted = fitPreprocessor(rows, { maxCategories: 2 });
    // b and c tie at 2; the tie goes to the smaller value.
    expect(fitted.categorical).toEqual([{ name: 'city', categories: ['a', 'b'], other: true }]);
    expect(fitted.features).toEqual(['city=a', 'city=b', 'city=<other>']);
    const m = transform(fitted, [{ numeric: {}, categorical: { city: 'c' } }, { numeric: {}, categorical: { city: 'never-seen' } }, { numeric: {}, categorical: { city: 'b' } }]);
    expect(Array.from(m.data)).toEqual([0, 0, 1, 0, 0, 1, 0, 1, 0]);
  });

  it('gives a feature with no present train value mean 0 and std 0, and refuses an empty train set', () => {
    const fitted = fitPreprocessor([{ numeric: { z: NaN }, categorical: {}, label: 'a' }]);
    expect(fitted.numeric).toEqual([{ name: 'z', mean: 0, std: 0 }]);
    expect(() => fitPreprocessor([])).toThrow('/train: has no rows');
  });

  it('gives std 0, not the rounding residue of the mean, to a feature whose train values are all equal, and maps any value of it to 0', () => {
    // Ten copies of 0.1 sum to 0.9999999999999999: the computed std would be about 1e-17, and serving values would be scaled by 1e17.
    const rows: TabularRows = Array.from({ length: 11 }, (_, i) => ({ numeric: { c: 0.1, x: i }, categorical: {}, label: i % 2 ? 'a' : 'b' }));
    rows[3]!.numeric.c = NaN; // missing values are left out of the fit as before
    const fitted = fitPreprocessor(rows);
    expect(fitted.numeric[0]).toMatchObject({ name: 'c', std: 0 });
    // x at its train mean (5): every cell is 0.
    const m = transform(fitted, [0.1, 0.5, -1e6, 1e300, NaN].map((c) => ({ numeric: { c, x: 5 }, categorical: {} })));
    expect(Array.from(m.data)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});
