import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../services/common/index.js';
import { driftOptions } from '../../../services/drift/index.js';

describe('drift promotion reference settings', () => {
  it('rebuild the reference on every champion move by default, with a day of traffic as the fallback', () => {
    const c = loadConfig(driftOptions, {});
    expect(c.driftPromotionReference).toBe(true);
    expect(c.driftPromotionGroupId).toBe('driftloop-drift-promotions');
    expect(c.driftPromotionFallbackMs).toBe(86_400_000);
    expect(c.driftPromotionServedMs).toBe(86_400_000);
    expect(loadConfig(driftOptions, { DRIFT_PROMOTION_REFERENCE: 'false', DRIFT_PROMOTION_FALLBACK_MS: '0' })).toMatchObject({ driftPromotionReference: false, driftPromotionFallbackMs: 0 });
  });

  it.each([
    ['DRIFT_PROMOTION_REFERENCE', 'sometimes', 'allowed: true or false'],
    ['DRIFT_PROMOTION_FALLBACK_MS', '-1', 'allowed: an integer from 0 to'],
    ['DRIFT_PROMOTION_SERVED_MS', '1.5', 'allowed: an integer from 0 to'],
  ])('refuses %s=%s naming the key and what it allows', (key, value, allowed) => {
    let error: unknown;
    try {
      loadConfig(driftOptions, { [key]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe(key);
    expect((error as ConfigError).message).toContain(key);
    expect((error as ConfigError).message).toContain(allowed);
  });
});
