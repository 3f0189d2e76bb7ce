import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../../services/common/index.js';
import { assertTransition, canTransition, isTerminal, RUN_STATES } from '../../../services/trainer/run-state.js';

describe('retraining run states', () => {
  it('moves forward one step at a time and may fail or be cancelled from any open state', () => {
    expect(canTransition('queued', 'snapshot')).toBe(true);
    expect(canTransition('snapshot', 'searching')).toBe(true);
    expect(canTransition('searching', 'training')).toBe(true);
    expect(canTransition('training', 'done')).toBe(true);
    expect(canTransition('queued', 'training')).toBe(false);
    expect(canTransition('training', 'searching')).toBe(false);
    for (const s of RUN_STATES.filter((x) => !isTerminal(x))) {
      expect(canTransition(s, 'failed')).toBe(true);
      expect(canTransition(s, 'cancelled')).toBe(true);
    }
  });

  it('never leaves a terminal state', () => {
    for (const from of ['done', 'failed', 'cancelled'] as const) for (const to of RUN_STATES) expect(canTransition(from, to)).toBe(false);
  });

  it('refuses an illegal transition with a 409 naming the states and what is allowed', () => {
    expect(() => assertTransition('run-1', 'done', 'training')).toThrow(ConflictError);
    expect(() => assertTransition('run-1', 'queued', 'done')).toThrow('run run-1 cannot go from queued to done (allowed: snapshot, failed, cancelled)');
  });
});
