/** Adam settings (Kingma & Ba 2015). */
export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** First and second moment estimates of one parameter array. */
export interface AdamState {
  m: Float64Array;
  v: Float64Array;
}

export function createAdamState(size: number): AdamState {
  return { m: new Float64Array(size), v: new Float64Array(size) };
}

/** One bias-corrected Adam update of `values` from `gradients`; `step` counts from 1. */
export function adamUpdate(values: Float64Array, gradients: Float64Array, state: AdamState, step: number, o: AdamOptions): void {
  const { m, v } = state;
  const correction1 = 1 - o.beta1 ** step;
  const correction2 = 1 - o.beta2 ** step;
  for (let i = 0; i < values.length; i++) {
    const g = gradients[i]!;
    const mi = o.beta1 * m[i]! + (1 - o.beta1) * g;
    const vi = o.beta2 * v[i]! + (1 - o.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    values[i]! -= (o.lr * (mi / correction1)) / (Math.sqrt(vi / correction2) + o.epsilon);
  }
}
