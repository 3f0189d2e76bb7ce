/**
 * Range checks for JSON Schema's numeric and size keywords: does the reader's
 * range contain the writer's? Each returns a problem sentence, or null.
 */

type Obj = Record<string, unknown>;

interface Bound {
  value: number;
  exclusive: boolean;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Lower bound from minimum / exclusiveMinimum, in both the draft-04 (boolean) and draft-06+ (number) forms. */
function lower(s: Obj): Bound | undefined {
  const min = num(s.minimum);
  const exMin = num(s.exclusiveMinimum);
  const bounds: Bound[] = [];
  if (min !== undefined) bounds.push({ value: min, exclusive: s.exclusiveMinimum === true });
  if (exMin !== undefined) bounds.push({ value: exMin, exclusive: true });
  return bounds.sort((a, b) => b.value - a.value || Number(b.exclusive) - Number(a.exclusive))[0];
}

function upper(s: Obj): Bound | undefined {
  const max = num(s.maximum);
  const exMax = num(s.exclusiveMaximum);
  const bounds: Bound[] = [];
  if (max !== undefined) bounds.push({ value: max, exclusive: s.exclusiveMaximum === true });
  if (exMax !== undefined) bounds.push({ value: exMax, exclusive: true });
  return bounds.sort((a, b) => a.value - b.value || Number(b.exclusive) - Number(a.exclusive))[0];
}

const show = (b: Bound | undefined, side: 'lower' | 'upper'): string =>
  b === undefined ? 'none' : `${side === 'lower' ? (b.exclusive ? '>' : '>=') : b.exclusive ? '<' : '<='} ${b.value}`;

/** Numbers: minimum, maximum (inclusive or exclusive) and multipleOf. */
export function numberRangeProblem(reader: Obj, writer: Obj): string | null {
  const rl = lower(reader);
  const wl = lower(writer);
  if (rl && (!wl || wl.value < rl.value || (wl.value === rl.value && rl.exclusive && !wl.exclusive))) {
    return `the reader's lower bound (${show(rl, 'lower')}) rejects numbers the writer allows (${show(wl, 'lower')})`;
  }
  const ru = upper(reader);
  const wu = upper(writer);
  if (ru && (!wu || wu.value > ru.value || (wu.value === ru.value && ru.exclusive && !wu.exclusive))) {
    return `the reader's upper bound (${show(ru, 'upper')}) rejects numbers the writer allows (${show(wu, 'upper')})`;
  }
  const rm = num(reader.multipleOf);
  const wm = num(writer.multipleOf);
  if (rm !== undefined) {
    const ratio = wm === undefined ? NaN : wm / rm;
    if (!(Math.abs(ratio - Math.round(ratio)) < 1e-9)) return `the reader requires multiples of ${rm}, the writer ${wm === undefined ? 'does not' : `allows multiples of ${wm}`}`;
  }
  return null;
}

/** Sizes: minLength/maxLength, minItems/maxItems, minProperties/maxProperties. */
export function sizeRangeProblem(reader: Obj, writer: Obj, minKey: string, maxKey: string): string | null {
  const rMin = num(reader[minKey]) ?? 0;
  const wMin = num(writer[minKey]) ?? 0;
  if (rMin > wMin) return `the reader's ${minKey} ${rMin} is above the writer's ${wMin}`;
  const rMax = num(reader[maxKey]);
  const wMax = num(writer[maxKey]);
  if (rMax !== undefined && (wMax === undefined || wMax > rMax)) return `the reader's ${maxKey} ${rMax} is below the writer's ${wMax ?? 'unbounded'}`;
  return null;
}
