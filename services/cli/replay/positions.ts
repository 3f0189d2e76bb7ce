import { DURATION_UNIT_MS, ValidationError, durationMs } from '../../common/index.js';

/** Where in a topic a replay starts or ends: the same on every partition. */
export type Position =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  | { kind: 'offset'; offset: number }
  | { kind: 'time'; ms: number };

export const POSITION_FORMS =
  'earliest, latest, an offset (e.g. 1500, on every partition), a time (e.g. 2025-01-31T12:00:00Z or 2025-01-31) or a duration ago (e.g. 90s, 30m, 2h, 7d)';

const UNIT_MS = DURATION_UNIT_MS;

/** Reads `earliest`, `latest`, an offset, an ISO-8601 time or a duration ago (relative to `now`). */
export function parsePosition(flag: string, text: string, now: number): Position {
  const raw = text.trim();
  if (raw === 'earliest' || raw === 'beginning') return { kind: 'earliest' };
  if (raw === 'latest' || raw === 'end') return { kind: 'latest' };
  if (/^\d+$/.test(raw)) {
    const offset = Number(raw);
    if (Number.isSafeInteger(offset)) return { kind: 'offset', offset };
  }
  const ago = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)( ago)?$/.exec(raw);
  if (ago) return { kind: 'time', ms: Math.round(now - Number(ago[1]) * UNIT_MS[ago[2]!]!) };
  if (/^\d{4}-\d{2}-\d{2}/.test(raw)) {
    const ms = Date.parse(raw);
    if (Number.isFinite(ms)) return { kind: 'time', ms };
  }
  throw new ValidationError(flag, `${JSON.stringify(text)} is not a position: use ${POSITION_FORMS}`);
}

/** A duration such as `500ms`, `90s`, `2m`, in milliseconds. */
export function parseDuration(flag: string, text: string): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new ValidationError(flag, `${JSON.stringify(text)} is not a duration: use a number with ms, s, m, h, d or w (e.g. 45s, 2m, 4w)`);
  return ms;
}

/** How a position reads in output: the time as ISO text, else as given. */
export function describePosition(p: Position): string {
  if (p.kind === 'time') return new Date(p.ms).toISOString();
  if (p.kind === 'offset') return `offset ${p.offset}`;
  return p.kind;
}
