import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../services/common/index.js';
import { parseSearchSpace } from '../../../services/trainer/search/index.js';

function parseError(json: unknown, path = '/search'): ValidationError {
  try {
    parseSearchSpace(json, path);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('parseSearchSpace', () => {
  it('accepts every parameter type and freezes the result', () => {
    const space = parseSearchSpace({
      dropout: { type: 'float', low: 0, high: 0.5, step: 0.1 },
      layers: { type: 'int', low: 1, high: 4 },
      lr: { type: 'logfloat', low: 1e-4, high: 1e-1, gridPoints: 4 },
      optimizer: { type: 'categorical', choices: ['adam', 'sgd', true, 3] },
    });
    expect(space.layers).toEqual({ type: 'int', low: 1, high: 4 });
    expect(space.dropout).toEqual({ type: 'float', low: 0, high: 0.5, step: 0.1 });
    expect(Object.isFrozen(space)).toBe(true);
    expect(Object.isFrozen(space.lr)).toBe(true);
  });

  it('names the parameter path and the allowed types when the type is unknown', () => {
    const err = parseError({ lr: { type: 'exponential', low: 1, high: 2 } });
    expect(err.path).toBe('/search/lr/type');
    expect(err.message).toContain('float, int, logfloat, categorical');
  });

  it('rejects a log-uniform parameter whose low is not positive', () => {
    expect(parseError({ lr: { type: 'logfloat', low: 0, high: 1 } }).path).toBe('/search/lr/low');
  });

  it('rejects a range whose high is not above its low', () => {
    const err = parseError({ x: { type: 'float', low: 1, high: 1 } });
    expect(err.path).toBe('/search/x/high');
    expect(err.message).toContain('greater than low');
  });

  it('rejects a non-integer bound of an int parameter', () => {
    expect(parseError({ units: { type: 'int', low: 1.5, high: 8 } }).path).toBe('/search/units/low');
  });

  it('rejects a step that does not divide the range', () => {
    expect(parseError({ units: { type: 'int', low: 1, high: 8, step: 3 } }).path).toBe('/search/units/step');
    expect(() => parseSearchSpace({ x: { type: 'float', low: 0, high: 0.3, step: 0.1 } })).not.toThrow();
  });

  it('rejects an unknown key and lists the allowed ones', () => {
    const err = parseError({ lr: { type: 'logfloat', low: 1e-3, high: 1, step: 2 } });
    expect(err.path).toBe('/search/lr/step');
    expect(err.message).toContain('type, low, high, gridPoints');
  });

  it('rejects empty and duplicated categorical choices', () => {
    expect(parseError({ act: { type: 'categorical', choices: [] } }).path).toBe('/search/act/choices');
    expect(parseError({ act: { type: 'categorical', choices: ['relu', 'tanh', 'relu'] } }).path).toBe('/search/act/choices/2');
    expect(parseError({ act: { type: 'categorical', choices: ['relu', null] } }).path).toBe('/search/act/choices/1');
  });

  it('rejects a space that is not an object or has no parameters', () => {
    expect(parseError([]).path).toBe('/search');
    expect(parseError({}).path).toBe('/search');
    expect(parseError({ x: 3 }).path).toBe('/search/x');
  });
});
