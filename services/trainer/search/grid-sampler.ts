/**
 * Grid search over the full cartesian product of every parameter's values.
 * Like Optuna's GridSampler (optuna/samplers/_grid.py), each trial takes a
 * grid point chosen at random among those no started trial has taken, so a
 * budget-cut grid is a random subset rather than one corner; the study stops
 * starting trials once every point is taken.
 */
import { ValidationError } from '../../common/index.js';
import { randomIndex } from './rng.js';
import { stepCount, type ParamSpec, type ParamValue, type Params, type SearchSpace } from './space.js';
import type { Sampler, TrialRecord } from './types.js';

/** The grid values of one parameter; float/logfloat without `step` need `gridPoints`. */
export function gridValues(name: string, spec: ParamSpec): ParamValue[] {
  switch (spec.type) {
    case 'categorical':
      return [...spec.choices];
    case 'int':
    case 'float': {
      if (spec.type === 'int' || spec.step !== undefined) {
        const step = spec.step ?? 1;
        const n = stepCount(spec.low, spec.high, step);
        return Array.from({ length: n + 1 }, (_, i) => (i === n ? spec.high : spec.low + i * step));
      }
      const points = requireGridPoints(name, spec.gridPoints);
      return Array.from({ length: points }, (_, i) => (i === points - 1 ? spec.high : spec.low + ((spec.high - spec.low) * i) / (points - 1)));
    }
    case 'logfloat': {
      const points = requireGridPoints(name, spec.gridPoints);
      const logLow = Math.log(spec.low);
      const logHigh = Math.log(spec.high);
      return Array.from({ length: points }, (_, i) =>
        i === 0 ? spec.low : i === points - 1 ? spec.high : Math.exp(logLow + ((logHigh - logLow) * i) / (points - 1)),
      );
    }
  }
}

function requireGridPoints(name: string, gridPoints: number | undefined): number {
  if (gridPoints === undefined) {
    throw new ValidationError(`/${name}/gridPoints`, 'the grid sampler needs gridPoints (an integer >= 2) for a float or logfloat parameter without step');
  }
  return gridPoints;
}

/** Every grid point, last parameter varying fastest (itertools.product order). */
export function enumerateGrid(space: SearchSpace): Params[] {
  const names = Object.keys(space);
  const axes = names.map((name) => gridValues(name, space[name]!));
  let points: Params[] = [{}];
  names.forEach((name, axis) => {
    const next: Params[] = [];
    for (const point of points) for (const value of axes[axis]!) next.push({ ...point, [name]: value });
    points = next;
  });
  return points;
}

function pointKey(params: Params, names: readonly string[]): string {
  return JSON.stringify(names.map((n) => params[n]));
}

export function createGridSampler(): Sampler {
  // Enumerating is cheap next to a trial, but the study asks twice per trial; keep the last grid.
  let cached: { space: SearchSpace; grid: Params[]; keys: string[] } | undefined;
  const gridOf = (space: SearchSpace): { grid: Params[]; keys: string[] } => {
    if (cached?.space !== space) {
      const names = Object.keys(space);
      const grid = enumerateGrid(space);
      cached = { space, grid, keys: grid.map((p) => pointKey(p, names)) };
    }
    return cached;
  };
  const untaken = (space: SearchSpace, history: readonly TrialRecord[]): number[] => {
    const { keys } = gridOf(space);
    const names = Object.keys(space);
    const taken = new Set(history.map((t) => pointKey(t.params, names)));
    return keys.flatMap((key, i) => (taken.has(key) ? [] : [i]));
  };

  return {
    name: 'grid',
    sample(space, history, rng) {
      const free = untaken(space, history);
      const { grid } = gridOf(space);
      // Exhausted and asked anyway (a caller without isExhausted): revisit, as Optuna does for running duplicates.
      const index = free.length > 0 ? free[randomIndex(rng, free.length)]! : randomIndex(rng, grid.length);
      return { ...grid[index]! };
    },
    isExhausted(space, history) {
      return untaken(space, history).length === 0;
    },
  };
}
