import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../services/common/index.js';
import {
  DEFAULT_INTERVAL_MS,
  DEFAULT_START_MS,
  SEA_THRESHOLDS,
  STREAM_NAMES,
  controlConceptLabel,
  covariateShiftStream,
  hyperplaneStream,
  seaStream,
  stationaryStream,
  streamByName,
} from '../../../services/cli/backtest/streams/index.js';
import type { LabeledRecord, StreamName } from '../../../services/cli/backtest/streams/index.js';

const SEED = 42;

function mean(records: readonly LabeledRecord[], value: (r: LabeledRecord) => number): number {
  return records.reduce((sum, r) => sum + value(r), 0) / records.length;
}

const positiveShare = (records: readonly LabeledRecord[]): number => mean(records, (r) => (r.label === '1' ? 1 : 0));

/** Nearest-centroid linear classifier: enough to tell whether a concept stayed where it was learned. */
function fitCentroidClassifier(records: readonly LabeledRecord[]): (r: LabeledRecord) => string {
  const names = Object.keys(records[0]!.numeric);
  const positives = records.filter((r) => r.label === '1');
  const negatives = records.filter((r) => r.label === '0');
  const w = names.map((n) => mean(positives, (r) => r.numeric[n]!) - mean(negatives, (r) => r.numeric[n]!));
  const mid = names.map((n) => (mean(positives, (r) => r.numeric[n]!) + mean(negatives, (r) => r.numeric[n]!)) / 2);
  const bias = -w.reduce((s, wi, i) => s + wi * mid[i]!, 0);
  return (r) => (names.reduce((s, n, i) => s + w[i]! * r.numeric[n]!, bias) >= 0 ? '1' : '0');
}

const accuracy = (predict: (r: LabeledRecord) => string, records: readonly LabeledRecord[]): number =>
  mean(records, (r) => (predict(r) === r.label ? 1 : 0));

describe('backtest streams', () => {
  it('are identical for one seed and different for another, for every stream', () => {
    for (const name of STREAM_NAMES) {
      const a = streamByName(name, { seed: 7, records: 2_000 });
      expect(streamByName(name, { seed: 7, records: 2_000 })).toEqual(a);
      expect(streamByName(name, { seed: 8, records: 2_000 }).records).not.toEqual(a.records);
      expect(a.name).toBe(name);
      expect(a.records).toHaveLength(2_000);
    }
  });

  it('space records by the interval from the start, half-hourly from 2020 by default', () => {
    const stream = seaStream({ seed: SEED, records: 4 });
    expect(stream.records.slice(0, 3).map((r) => r.ts)).toEqual([0, 1, 2].map((i) => DEFAULT_START_MS + i * DEFAULT_INTERVAL_MS));
    expect(DEFAULT_START_MS).toBe(Date.UTC(2020, 0, 1));
    const custom = hyperplaneStream({ seed: SEED, records: 2, startMs: 1_000, intervalMs: 60_000 });
    expect(custom.records.map((r) => r.ts)).toEqual([1_000, 61_000]);
  });

  it('refuses unknown names and out-of-range options, naming the key', () => {
    expect(() => streamByName('elec3' as StreamName, { seed: 1 })).toThrow(/unknown stream "elec3": use one of sea, sea-gradual/);
    expect(() => seaStream({ seed: 1, noise: 1.5 })).toThrow(ValidationError);
    expect(() => seaStream({ seed: 1, records: 3 })).toThrow(/records/);
    expect(() => seaStream({ seed: 1, records: 4_000, gradualWidth: 2_000 })).toThrow(/gradualWidth/);
    expect(() => hyperplaneStream({ seed: 1, features: 3, driftFeatures: 4 })).toThrow(/driftFeatures/);
    expect(() => stationaryStream({ seed: 1.5 })).toThrow(/seed/);
  });
});

describe('SEA stream', () => {
  it('changes concept abruptly at equal intervals, listed as change points', () => {
    expect(seaStream({ seed: SEED }).changePoints).toEqual([10_000, 20_000, 30_000]);
    expect(seaStream({ seed: SEED, records: 1_000, concepts: [8, 9] }).changePoints).toEqual([500]);
  });

  it('labels every record by the published threshold of its concept when noise is 0', () => {
    const { records, changePoints } = seaStream({ seed: SEED, noise: 0 });
    records.forEach((r, i) => {
      const concept = changePoints.filter((cp) => cp <= i).length;
      const { f1, f2, f3 } = r.numeric;
      expect(r.label).toBe(f1! + f2! <= SEA_THRESHOLDS[concept]! ? '1' : '0');
      for (const f of [f1!, f2!, f3!]) expect(f >= 0 && f < 10).toBe(true);
    });
    expect(SEA_THRESHOLDS).toEqual([8, 9, 7, 9.5]);
  });

  it('flips about the requested share of labels and keeps the features of the seed', () => {
    const clean = seaStream({ seed: SEED, noise: 0 }).records;
    const noisy = seaStream({ seed: SEED, noise: 0.1 }).records;
    expect(noisy.map((r) => r.numeric)).toEqual(clean.map((r) => r.numeric));
    const flipped = noisy.filter((r, i) => r.label !== clean[i]!.label).length / noisy.length;
    expect(flipped).toBeGreaterThan(0.09);
    expect(flipped).toBeLessThan(0.11);
  });

  it('moves to the new concept linearly across a window centred on each change point when gradual', () => {
    const { records, changePoints, name } = streamByName('sea-gradual', { seed: SEED, noise: 0 });
    expect(name).toBe('sea-gradual');
    expect(changePoints).toEqual([10_000, 20_000, 30_000]);
    const follows = (r: LabeledRecord, theta: number): boolean => r.label === (r.numeric.f1! + r.numeric.f2! <= theta ? '1' : '0');
    const half = 1_000 / 2;
    records.forEach((r, i) => {
      const k = changePoints.findIndex((cp) => Math.abs(i - cp) < half);
      if (k < 0) expect(follows(r, SEA_THRESHOLDS[changePoints.filter((cp) => cp <= i).length]!)).toBe(true);
      else expect(follows(r, SEA_THRESHOLDS[k]!) || follows(r, SEA_THRESHOLDS[k + 1]!)).toBe(true);
    });
    // 8 -> 9: only records with 8 < f1 + f2 <= 9 tell the concepts apart; among them, '1' means the new concept.
    const telling = (from: number, to: number): LabeledRecord[] =>
      records.slice(from, to).filter((r) => r.numeric.f1! + r.numeric.f2! > 8 && r.numeric.f1! + r.numeric.f2! <= 9);
    expect(positiveShare(telling(9_500, 9_750))).toBeLessThan(0.4);
    expect(positiveShare(telling(9_750, 10_250))).toBeGreaterThan(0.3);
    expect(positiveShare(telling(9_750, 10_250))).toBeLessThan(0.7);
    expect(positiveShare(telling(10_250, 10_500))).toBeGreaterThan(0.6);
  });
});

describe('rotating hyperplane stream', () => {
  it('keeps its labels near balanced and lists no change points', () => {
    const { records, changePoints } = hyperplaneStream({ seed: SEED });
    expect(changePoints).toEqual([]);
    expect(Object.keys(records[0]!.numeric)).toEqual(['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8', 'x9', 'x10']);
    expect(Math.abs(positiveShare(records) - 0.5)).toBeLessThan(0.02);
    for (let start = 0; start < records.length; start += 10_000) {
      expect(Math.abs(positiveShare(records.slice(start, start + 10_000)) - 0.5)).toBeLessThan(0.03);
    }
  });

  it('moves its weights: a classifier fitted on the first 2k records loses accuracy on the last 2k', () => {
    const drifting = hyperplaneStream({ seed: SEED }).records;
    const early = fitCentroidClassifier(drifting.slice(0, 2_000));
    expect(accuracy(early, drifting.slice(0, 2_000)) - accuracy(early, drifting.slice(-2_000))).toBeGreaterThan(0.05);

    const fixed = hyperplaneStream({ seed: SEED, magChange: 0 }).records;
    const control = fitCentroidClassifier(fixed.slice(0, 2_000));
    expect(Math.abs(accuracy(control, fixed.slice(0, 2_000)) - accuracy(control, fixed.slice(-2_000)))).toBeLessThan(0.03);
  });
});

describe('control streams', () => {
  it('keep the stationary stream\'s feature and label distributions the same in both halves', () => {
    const { records, changePoints } = stationaryStream({ seed: SEED });
    expect(changePoints).toEqual([]);
    const halves = [records.slice(0, 20_000), records.slice(20_000)] as const;
    for (const name of ['x1', 'x2', 'x3', 'x4', 'x5']) {
      const [m0, m1] = halves.map((h) => mean(h, (r) => r.numeric[name]!));
      const [v0, v1] = halves.map((h, i) => mean(h, (r) => (r.numeric[name]! - [m0, m1][i]!) ** 2));
      expect(Math.abs(m0! - m1!)).toBeLessThan(0.05);
      expect(Math.abs(v0! - v1!)).toBeLessThan(0.06);
    }
    for (const segment of ['a', 'b', 'c']) {
      const [s0, s1] = halves.map((h) => mean(h, (r) => (r.categorical.segment === segment ? 1 : 0)));
      expect(Math.abs(s0! - s1!)).toBeLessThan(0.02);
    }
    expect(Math.abs(positiveShare(halves[0]) - positiveShare(halves[1]))).toBeLessThan(0.02);
  });

  it('labels the stationary stream by the fixed concept, with about 10% noise', () => {
    const { records } = stationaryStream({ seed: SEED });
    const disagree = mean(records, (r) => (r.label !== controlConceptLabel(r.numeric, r.categorical) ? 1 : 0));
    expect(disagree).toBeGreaterThan(0.09);
    expect(disagree).toBeLessThan(0.11);
  });

  it('moves the covariate-shift inputs a lot while every label still follows the same concept', () => {
    const { records, changePoints } = covariateShiftStream({ seed: SEED, noise: 0 });
    expect(changePoints).toEqual([]);
    for (const r of records) expect(r.label).toBe(controlConceptLabel(r.numeric, r.categorical));
    const first = records.slice(0, 5_000);
    const last = records.slice(-5_000);
    expect(mean(last, (r) => r.numeric.x1!) - mean(first, (r) => r.numeric.x1!)).toBeGreaterThan(2);
    expect(mean(last, (r) => r.numeric.x2!) - mean(first, (r) => r.numeric.x2!)).toBeGreaterThan(2.5);
    expect(mean(last, (r) => (r.categorical.segment === 'c' ? 1 : 0)) - mean(first, (r) => (r.categorical.segment === 'c' ? 1 : 0))).toBeGreaterThan(0.2);
    // The jump at the midpoint: the means step, not just ramp.
    const around = (from: number, to: number): number => mean(records.slice(from, to), (r) => r.numeric.x2!);
    expect(around(20_000, 21_000) - around(19_000, 20_000)).toBeGreaterThan(1.2);
  });

  it('leaves a classifier fitted on the first covariate-shift records as right at the end', () => {
    const { records } = covariateShiftStream({ seed: SEED });
    const early = fitCentroidClassifier(records.slice(0, 5_000));
    // Centroids are a crude fit, so compare against the drift-free stream rather than demand the Bayes rate.
    expect(accuracy(early, records.slice(-5_000))).toBeGreaterThan(accuracy(early, records.slice(0, 5_000)) - 0.03);
  });
});
