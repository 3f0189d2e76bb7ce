import { describe, expect, it } from 'vitest';
import { MODEL_NAME_MAX_LENGTH, MODEL_NAME_PATTERN, TOPICS, avroSchema } from '../../../schemas/index.js';

describe('the model-name contract', () => {
  it('is the pattern every topic with a model field declares', () => {
    // The dead-letter topic's model is whatever could be read from a bad event, empty if nothing.
    const declared = TOPICS.filter((topic) => topic !== 'dlq').flatMap((topic) => avroSchema(topic).fields.filter((f) => f.name === 'model').map((f) => f['x-rules']?.pattern));
    expect(declared.length).toBeGreaterThan(3);
    expect(new Set(declared)).toEqual(new Set([MODEL_NAME_PATTERN.source]));
  });

  it('allows names up to its maximum length and no longer', () => {
    expect(MODEL_NAME_PATTERN.test('m'.repeat(MODEL_NAME_MAX_LENGTH))).toBe(true);
    expect(MODEL_NAME_PATTERN.test('m'.repeat(MODEL_NAME_MAX_LENGTH + 1))).toBe(false);
  });
});
