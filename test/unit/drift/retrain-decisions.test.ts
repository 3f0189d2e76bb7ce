import { describe, expect, it } from 'vitest';
import { cooldownOf, createDetector, DEFAULT_POLICY, failuresInARow, mergePolicy, retrainGate, retrainWindow, withErrorChange, detectChange, type WindowVerdict } from '../../../services/drift/index.js';

const HOUR = 3_600_000;

describe('retrain decisions shared by the monitor and the backtest', () => {
  it('opens a run, joins an open one or its own earlier request, and holds automatic causes for the cooldown only', () => {
    const fresh = { sameCause: false, openRun: null, lastRequestAt: null };
    expect(retrainGate('drift', 'run-a', fresh, 10 * HOUR, HOUR)).toEqual({ runId: 'run-a', status: 'opened' });
    expect(retrainGate('drift', 'run-a', { ...fresh, sameCause: true }, 10 * HOUR, HOUR)).toEqual({ runId: 'run-a', status: 'joined' });
    expect(retrainGate('drift', 'run-b', { ...fresh, openRun: 'run-a' }, 10 * HOUR, HOUR)).toEqual({ runId: 'run-a', status: 'joined' });
    // Event times: a request 30 minutes of event time ago holds an automatic cause, not a person's.
    const recent = { ...fresh, lastRequestAt: 9.5 * HOUR };
    expect(retrainGate('performance', 'run-b', recent, 10 * HOUR, HOUR).status).toBe('cooldown');
    expect(retrainGate('schedule', 'run-b', recent, 10 * HOUR, HOUR).status).toBe('cooldown');
    expect(retrainGate('manual', 'run-b', recent, 10 * HOUR, HOUR).status).toBe('opened');
    expect(retrainGate('drift', 'run-b', recent, 10.5 * HOUR, HOUR).status).toBe('opened');
  });

  it('names the run that holds a cause back, not one that was never opened', () => {
    const held = retrainGate('drift', 'run-new', { sameCause: false, openRun: null, lastRequestAt: 9.5 * HOUR, lastRunId: 'run-last' }, 10 * HOUR, HOUR);
    expect(held).toEqual({ runId: 'run-last', status: 'cooldown' });
  });

  it('after failed runs holds the next cause for a backoff that doubles with each failure, never longer than the cooldown', () => {
    const DAY = 24 * HOUR;
    const after = (failedInARow: number, waitedMs: number) =>
      retrainGate('drift', 'run-b', { sameCause: false, openRun: null, lastRequestAt: 0, lastRunId: 'run-a', failedInARow }, waitedMs, DAY).status;
    // One failure: 1/16 of the day (90 minutes).
    expect(after(1, 89 * 60_000)).toBe('cooldown');
    expect(after(1, 91 * 60_000)).toBe('opened');
    // Three in a row: 4/16 of it.
    expect(after(3, 5.9 * HOUR)).toBe('cooldown');
    expect(after(3, 6.1 * HOUR)).toBe('opened');
    // Many: the cooldown itself.
    expect(after(20, DAY - 1)).toBe('cooldown');
    expect(after(20, DAY + 1)).toBe('opened');
    // None: the whole cooldown.
    expect(after(0, 23 * HOUR)).toBe('cooldown');
  });

  it('counts the failures at the head of the runs, newest first', () => {
    expect(failuresInARow([])).toBe(0);
    expect(failuresInARow(['failed', 'failed', 'done', 'failed'])).toBe(2);
    expect(failuresInARow(['done', 'failed'])).toBe(0);
    expect(failuresInARow(['', 'failed'])).toBe(0);
    expect(failuresInARow(['failed', 'failed'])).toBe(2);
  });

  it('trains on the policy\'s window of event time back from the decision, six of its windows by default, or leaves it to the trainer spec', () => {
    expect(retrainWindow(DEFAULT_POLICY, 100 * HOUR)).toEqual({ from: 94 * HOUR, to: 100 * HOUR });
    const weekly = mergePolicy(DEFAULT_POLICY, { windowMs: 168 * HOUR }, 'p');
    expect(retrainWindow(weekly, 2000 * HOUR)).toEqual({ from: 992 * HOUR, to: 2000 * HOUR });
    expect(retrainWindow(mergePolicy(weekly, { trainingWindowMs: 24 * HOUR }, 'p'), 100 * HOUR)).toEqual({ from: 76 * HOUR, to: 100 * HOUR });
    expect(retrainWindow(mergePolicy(weekly, { trainingWindows: 0 }, 'p'), 100 * HOUR)).toBeNull();
    // Count windows have no length in time: the trainer spec's window.
    expect(retrainWindow(mergePolicy(DEFAULT_POLICY, { windowRows: 5000 }, 'p'), 100 * HOUR)).toBeNull();
  });

  it('holds automatic retrains for the longer of cooldownMs and cooldownWindows time windows', () => {
    expect(cooldownOf(DEFAULT_POLICY)).toBe(HOUR);
    expect(cooldownOf(mergePolicy(DEFAULT_POLICY, { windowMs: 168 * HOUR }, 'p'))).toBe(168 * HOUR);
    expect(cooldownOf(mergePolicy(DEFAULT_POLICY, { windowMs: 168 * HOUR, cooldownWindows: 0 }, 'p'))).toBe(HOUR);
    expect(cooldownOf(mergePolicy(DEFAULT_POLICY, { windowMs: 60_000, cooldownMs: 6 * HOUR }, 'p'))).toBe(6 * HOUR);
    expect(cooldownOf(mergePolicy(DEFAULT_POLICY, { windowRows: 5000, cooldownMs: 0 }, 'p'))).toBe(0);
  });

  it('turns a change in the champion\'s error rate into a retrain with cause performance, leaving other retrains as they are', () => {
    const watch: WindowVerdict = { decision: 'watch', datasetDrift: true, driftShare: 0.6, drifting: true, streak: 1, cause: null, reasons: ['dataset drift'] };
    expect(withErrorChange(watch, false, 'ddm')).toBe(watch);
    expect(withErrorChange(watch, true, 'ddm')).toEqual({ ...watch, decision: 'retrain', cause: 'performance', reasons: ['dataset drift', "ddm detected a change in the champion's error rate"] });
    const retrain: WindowVerdict = { ...watch, decision: 'retrain', cause: 'drift' };
    expect(withErrorChange(retrain, true, 'ddm')).toBe(retrain);
  });

  it('feeds a whole window of errors to the detector and says whether any of them was a change', () => {
    const errors = [...Array.from({ length: 1000 }, () => 0), ...Array.from({ length: 200 }, () => 1)];
    expect(detectChange(createDetector('ddm'), errors.slice(0, 1000))).toBe(false);
    expect(detectChange(createDetector('ddm'), errors)).toBe(true);
  });

  it('refuses an unknown error detector in a policy, naming the key and the allowed values', () => {
    expect(() => mergePolicy(DEFAULT_POLICY, { errorDetector: 'cusum' }, 'DRIFT_POLICIES.m')).toThrow(/DRIFT_POLICIES\.m\.errorDetector: "cusum" is not allowed \(allowed: none, adwin, ddm, page-hinkley\)/);
  });
});
