import { describe, expect, it } from 'vitest';
import { hash32, routesToCanary, splitPoint } from '../../../services/gateway/index.js';

describe('traffic split', () => {
  it('hashes FNV-1a over the UTF-8 bytes, finished with fmix32 (checked against a byte-wise reference)', () => {
    const reference = (text: string): number => {
      let h = 0x811c9dc5;
      for (const byte of Buffer.from(text, 'utf8')) h = Math.imul(h ^ byte, 0x01000193);
      h ^= h >>> 16;
      h = Math.imul(h, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      return (h ^ (h >>> 16)) >>> 0;
    };
    for (const text of ['', 'a', 'user-1', 'café', 'Zürich→東京', '😀 emoji', `${'x'.repeat(300)}é`]) expect(hash32(text)).toBe(reference(text));
    expect(hash32('user-1')).not.toBe(hash32('user-2'));
  });

  it('spreads sequential keys evenly: every tenth of [0, 1) gets 10% ± 1 point of 100,000 keys', () => {
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) bins[Math.floor(splitPoint('elec2', 'rollout-1', `user-${i}`) * 10)]!++;
    for (const b of bins) expect(Math.abs(b / 100_000 - 0.1)).toBeLessThan(0.01);
  });

  it('routes the weight share to the canary and keeps every key on its side for one rollout, reshuffling for the next', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `entity-${i}`);
    const canary = keys.filter((k) => routesToCanary('m', 'r1', k, 0.25));
    expect(Math.abs(canary.length / keys.length - 0.25)).toBeLessThan(0.01);
    expect(keys.filter((k) => routesToCanary('m', 'r1', k, 0.25))).toEqual(canary);
    // A larger weight keeps everyone who was on the canary there (the steps 1% -> 10% -> 50% only add entities).
    const wider = new Set(keys.filter((k) => routesToCanary('m', 'r1', k, 0.5)));
    expect(canary.every((k) => wider.has(k))).toBe(true);
    const nextRollout = keys.filter((k) => routesToCanary('m', 'r2', k, 0.25));
    expect(nextRollout).not.toEqual(canary);
    expect(keys.some((k) => routesToCanary('m', 'r1', k, 0))).toBe(false);
    expect(keys.every((k) => routesToCanary('m', 'r1', k, 1))).toBe(true);
  });
});
