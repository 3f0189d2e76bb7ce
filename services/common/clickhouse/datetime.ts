/**
 * DateTime64(3, 'UTC') as text, both ways: what JSONEachRow inserts take
 * ('2026-03-01 01:40:00.000') and what results hold: `toString(ts)` writes the
 * same form, plain columns come back ISO ('2026-03-01T01:40:00.000Z') because
 * the client sets date_time_output_format=iso.
 */
export function toDateTime64Text(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export function fromDateTime64Text(text: string): number {
  return Date.parse(text.includes('T') ? text : `${text.replace(' ', 'T')}Z`);
}
