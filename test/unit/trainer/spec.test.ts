import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../services/common/index.js';
import { DEFAULT_SPACES, DEFAULT_SPEC, resolveSpec, torchTrainer } from '../../../services/trainer/spec.js';

describe('training spec overrides', () => {
  it('applies a request\'s params over the default spec', () => {
    const spec = resolveSpec(DEFAULT_SPEC, { window_rows: '5000', max_trials: '3', sampler: 'random', pruner: 'hyperband', seed: '9', 'param.epochs': '4', 'param.hidden': '[8,4]' });
    expect(spec).toMatchObject({ window: { kind: 'latest', rows: 5000 }, maxTrials: 3, sampler: 'random', pruner: 'hyperband', seed: 9, params: { epochs: 4, hidden: [8, 4], batchSize: 64 } });
    expect(DEFAULT_SPEC.params).toEqual({ epochs: 8, batchSize: 64 });
  });

  it('takes a time range window and a JSON search space', () => {
    const spec = resolveSpec(DEFAULT_SPEC, { window_from: '2026-01-01T00:00:00Z', window_to: '2026-02-01T00:00:00Z', space: '{"lr":{"type":"logfloat","low":0.001,"high":0.1}}' });
    expect(spec.window).toEqual({ kind: 'range', from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 1, 1) });
    expect(Object.keys(spec.space)).toEqual(['lr']);
  });

  it('switches to the chosen algorithm\'s default space unless a space is given', () => {
    expect(resolveSpec(DEFAULT_SPEC, { algorithm: 'logistic' }).space).toBe(DEFAULT_SPACES.logistic);
    expect(Object.keys(resolveSpec(DEFAULT_SPEC, { algorithm: 'logistic', space: '{"l2":{"type":"logfloat","low":0.0001,"high":0.1}}' }).space)).toEqual(['l2']);
  });

  it.each([
    [{ window_rows: '0' }, '/params/window_rows: must be an integer >= 1'],
    [{ algorithm: 'xgboost' }, '/params/algorithm: must be one of logistic, mlp'],
    [{ sampler: 'bayes' }, '/params/sampler: must be one of grid, random, tpe'],
    [{ 'param.lr': 'fast' }, '/params/param.lr: must be JSON'],
    [{ window_from: '2026-01-01T00:00:00Z' }, 'window_from and window_to must both be ISO times'],
    [{ epochs: '3' }, '/params/epochs: unknown override (allowed: window_rows'],
    [{ space: '{"lr":{"type":"logfloat","low":0,"high":1}}' }, '/params/space/lr'],
  ])('refuses %j naming the key', (overrides, message) => {
    expect(() => resolveSpec(DEFAULT_SPEC, overrides)).toThrow(ValidationError);
    expect(() => resolveSpec(DEFAULT_SPEC, overrides)).toThrow(message);
  });
});

describe('trainer choice', () => {
  const commands = { 'torch-mlp': torchTrainer('/usr/bin/python3') };

  it('switches to an external trainer with its command, default space and params', () => {
    const spec = resolveSpec(DEFAULT_SPEC, { trainer: 'torch-mlp', 'param.epochs': '3', trial_timeout_ms: '60000', trial_retries: '0' }, commands);
    expect(spec).toMatchObject({ trainer: 'torch-mlp', trialTimeoutMs: 60_000, trialRetries: 0, params: { epochs: 3, batchSize: 64 } });
    expect(spec.command[0]).toBe('/usr/bin/python3');
    expect(spec.command[1]).toMatch(/infra\/trainers\/torch_mlp\.py$/);
    expect(spec.space).toBe(commands['torch-mlp'].space);
    expect(resolveSpec(spec, { trainer: 'builtin' }, commands)).toMatchObject({ trainer: 'builtin', command: [], params: DEFAULT_SPEC.params });
  });

  it('refuses an unknown trainer, and an algorithm for an external one', () => {
    expect(() => resolveSpec(DEFAULT_SPEC, { trainer: 'xgb' }, commands)).toThrow('/params/trainer: must be one of builtin, torch-mlp');
    expect(() => resolveSpec(DEFAULT_SPEC, { trainer: 'torch-mlp', algorithm: 'logistic' }, commands)).toThrow('/params/algorithm: applies to the builtin trainer only');
  });
});
