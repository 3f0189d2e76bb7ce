import { describe, expect, it } from 'vitest';
import { awaitingAfter, servedStep } from '../../../services/drift/served-reference.js';

const DAY = 86_400_000;
const thresholds = { minRows: 100, minLabeledRows: 50, minServedMs: DAY };

describe('completing a new champion\'s reference from its own traffic', () => {
  it('waits for a window\'s minimum of the champion\'s own predictions before building its prediction part', () => {
    expect(servedStep('predictions', { predictions: 99, labeled: 99, servedMs: DAY }, thresholds)).toEqual({ build: false });
    expect(servedStep('predictions', { predictions: 100, labeled: 0, servedMs: DAY }, thresholds)).toEqual({ build: true, performance: false });
  });

  it('waits until the champion has served a whole span (its daily cycle), however many answers came sooner', () => {
    expect(servedStep('predictions', { predictions: 1e6, labeled: 1e6, servedMs: DAY - 1 }, thresholds)).toEqual({ build: false });
    expect(servedStep('predictions', { predictions: 1e6, labeled: 1e6, servedMs: DAY }, thresholds)).toEqual({ build: true, performance: true });
  });

  it('adds the reference performance only once enough predictions are labeled, and never holds the prediction part back for labels', () => {
    expect(servedStep('predictions', { predictions: 100, labeled: 49, servedMs: DAY }, thresholds)).toEqual({ build: true, performance: false });
    expect(servedStep('predictions', { predictions: 100, labeled: 50, servedMs: DAY }, thresholds)).toEqual({ build: true, performance: true });
    expect(servedStep('performance', { predictions: 5000, labeled: 49, servedMs: DAY }, thresholds)).toEqual({ build: false });
    expect(servedStep('performance', { predictions: 5000, labeled: 50, servedMs: DAY }, thresholds)).toEqual({ build: true, performance: true });
  });

  it('builds nothing for a profile that awaits nothing', () => {
    expect(servedStep(null, { predictions: 1e6, labeled: 1e6, servedMs: DAY }, thresholds)).toEqual({ build: false });
  });

  it('keeps a classifier completed without labels awaiting its performance, and nothing else', () => {
    const performance = { labeled: 60, accuracy: 0.9, errorRate: 0.1, logLoss: null, auc: null };
    expect(awaitingAfter({ positiveLabel: 'yes', performance: null })).toBe('performance');
    expect(awaitingAfter({ positiveLabel: 'yes', performance })).toBeNull();
    // No positive class (several classes, or no scores): a window has no performance to compare either.
    expect(awaitingAfter({ positiveLabel: null, performance: null })).toBeNull();
  });
});
