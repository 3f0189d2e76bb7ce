import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

/** A copy of Elec2 ships with the project, so the demo needs nothing outside it. */
export const ELEC2_PATH = fileURLToPath(new URL('../../../infra/data/elec2.csv.gz', import.meta.url));

/** First record: 7 May 1996, 00:00, New South Wales; one record per half hour. */
export const ELEC2_START_MS = Date.UTC(1996, 4, 7);
export const HALF_HOUR_MS = 30 * 60 * 1000;

export interface Elec2Row {
  index: number;
  ts: number;
  day: string;
  numeric: { period: number; nswprice: number; nswdemand: number; vicprice: number; vicdemand: number; transfer: number };
  /** Whether the NSW price went UP or DOWN against the 24-hour moving average. */
  label: 'UP' | 'DOWN';
}

/**
 * Elec2 (Harries 1999): 45,312 half-hourly records of the New South Wales
 * electricity market, May 1996 to December 1998, with real concept drift
 * (the market was deregulated during the period). Values are normalized 0..1.
 */
export function loadElec2(path = ELEC2_PATH): Elec2Row[] {
  const lines = gunzipSync(readFileSync(path)).toString('utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const col = (name: string): number => header.indexOf(name);
  const [day, period, nswprice, nswdemand, vicprice, vicdemand, transfer, cls] = [
    'day', 'period', 'nswprice', 'nswdemand', 'vicprice', 'vicdemand', 'transfer', 'class',
  ].map(col) as number[];
  return lines.slice(1).map((line, index) => {
    const f = line.split(',');
    return {
      index,
      ts: ELEC2_START_MS + index * HALF_HOUR_MS,
      day: f[day!]!,
      numeric: {
        period: Number(f[period!]),
        nswprice: Number(f[nswprice!]),
        nswdemand: Number(f[nswdemand!]),
        vicprice: Number(f[vicprice!]),
        vicdemand: Number(f[vicdemand!]),
        transfer: Number(f[transfer!]),
      },
      label: f[cls!] === 'UP' ? 'UP' : 'DOWN',
    };
  });
}
