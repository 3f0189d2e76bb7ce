import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/common/index.js';
import { rolloutOptions, rolloutSettingsFromConfig } from '../../../services/rollout/config.js';

describe('rollout configuration', () => {
  it('defaults to shadow then 1% → 10% → 50% → 100%', () => {
    const s = rolloutSettingsFromConfig(loadConfig(rolloutOptions, {}), 'driftloop.');
    expect(s.plan).toEqual({ steps: [0.01, 0.1, 0.5, 1], shadowDurationMs: 600_000, analysisIntervalMs: 300_000, maxStepExtensions: 6 });
    expect(s.thresholds).toMatchObject({ minSamples: 100, errorRateRatio: 1.5, errorRateMargin: 0.01, latencyRatio: 1.5, latencyMarginMs: 5, maxAccuracyDrop: 0.02, maxPredictionPsi: 0.2 });
    expect(s.failureThreshold).toBe(0);
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('names the key of a bad steps list', () => {
    expect(() => rolloutSettingsFromConfig(loadConfig(rolloutOptions, { ROLLOUT_STEPS: '0.5,0.1' }), '')).toThrow(/config ROLLOUT_STEPS: "0.5,0.1" weights must increase/);
    expect(() => loadConfig(rolloutOptions, { ROLLOUT_STEPS: '5%' })).toThrow(/config ROLLOUT_STEPS: "5%" is not valid/);
    expect(() => loadConfig(rolloutOptions, { ROLLOUT_ANALYSIS_INTERVAL_MS: '10' })).toThrow(/ROLLOUT_ANALYSIS_INTERVAL_MS/);
  });
});
