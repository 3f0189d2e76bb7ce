/** Milliseconds per duration unit. */
export const DURATION_UNIT_MS: Readonly<Record<string, number>> = Object.freeze({ ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 });

/** A duration such as `500ms`, `90s`, `2m`, `1.5h`, `4w` in milliseconds; undefined for anything else. */
export function durationMs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim());
  return m ? Math.round(Number(m[1]) * DURATION_UNIT_MS[m[2]!]!) : undefined;
}
