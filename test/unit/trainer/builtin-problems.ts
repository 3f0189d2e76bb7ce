import { mulberry32, type TabularRows } from '../../../services/trainer/builtin/index.js';

/** Small synthetic problems for the builtin trainer tests, seeded so every run sees the same rows. */

const normal = (random: () => number): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

/** Points in [-1, 1]^2 labeled by the side of the line x + 2y = 0.1, with a 0.05 margin left empty. */
export function separable(n: number, seed: number): TabularRows {
  const random = mulberry32(seed);
  const rows: TabularRows = [];
  while (rows.length < n) {
    const x = random() * 2 - 1;
    const y = random() * 2 - 1;
    const side = x + 2 * y - 0.1;
    if (Math.abs(side) < 0.05) continue;
    rows.push({ numeric: { x, y }, categorical: {}, label: side > 0 ? 'pos' : 'neg' });
  }
  return rows;
}

/** XOR as four Gaussian clusters at (±1, ±1), sd 0.25: same-sign corners are "same", the others "differ". */
export function xor(n: number, seed: number): TabularRows {
  const random = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const sx = i % 2 === 0 ? 1 : -1;
    const sy = i % 4 < 2 ? 1 : -1;
    return { numeric: { x: sx + 0.25 * normal(random), y: sy + 0.25 * normal(random) }, categorical: {}, label: sx === sy ? 'same' : 'differ' };
  });
}

/** Three Gaussian clusters (sd 0.5) on a circle of radius 2, with a categorical feature that carries no signal. */
export function threeClusters(n: number, seed: number): TabularRows {
  const random = mulberry32(seed);
  const names = ['alpha', 'beta', 'gamma'];
  return Array.from({ length: n }, (_, i) => {
    const k = i % 3;
    const angle = (2 * Math.PI * k) / 3;
    return {
      numeric: { x: 2 * Math.cos(angle) + 0.5 * normal(random), y: 2 * Math.sin(angle) + 0.5 * normal(random) },
      categorical: { noise: random() < 0.5 ? 'left' : 'right' },
      label: names[k]!,
    };
  });
}
