import { compileModel } from '../trainer/builtin/index.js';
import { scoresFrom } from './scores.js';
import type { Scorer } from './types.js';

/** A `driftloop.builtin` v1 document (model.json) served by the TypeScript predictor. */
export function builtinScorer(json: unknown): Scorer {
  const model = compileModel(json);
  const { classes, positive_class: positiveClass, preprocessing } = model.artifact;
  return {
    format: 'driftloop.builtin',
    classes,
    positiveClass,
    preprocessing,
    async score(rows) {
      const k = classes.length;
      const probabilities = new Float64Array(rows.length * k);
      model.predictProba(rows).forEach((p, i) => probabilities.set(p, i * k));
      return scoresFrom(probabilities, classes, positiveClass);
    },
    async close() {},
  };
}
