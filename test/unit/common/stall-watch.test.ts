import { describe, expect, it } from 'vitest';
import { createStallWatch } from '../../../services/common/index.js';

const at = (position: number, lag: number) => [{ topic: 't', partition: 0, position, highWatermark: position + lag, lag }];

describe('the consumer stall watch', () => {
  it('reports a partition whose position has not moved for the timeout while messages wait', () => {
    const watch = createStallWatch(1000);
    expect(watch.observe(at(10, 5), false, 0)).toEqual([]);
    expect(watch.observe(at(10, 5), false, 999)).toEqual([]);
    expect(watch.observe(at(10, 5), false, 1500)).toEqual([{ topic: 't', partition: 0, position: 10, lag: 5, stalledMs: 1500 }]);
    // It moves again: no longer stalled, and the count starts over.
    expect(watch.observe(at(11, 4), false, 1600)).toEqual([]);
    expect(watch.observe(at(11, 4), false, 2500)).toEqual([]);
  });

  it('does not count a caught-up partition, or a pause on purpose, as a stall', () => {
    const watch = createStallWatch(1000);
    watch.observe(at(10, 0), false, 0);
    expect(watch.observe(at(10, 0), false, 5000)).toEqual([]);
    watch.observe(at(10, 3), true, 5000);
    expect(watch.observe(at(10, 3), true, 9000)).toEqual([]);
    // Resumed: the count starts at the resume.
    expect(watch.observe(at(10, 3), false, 9500)).toEqual([]);
    expect(watch.observe(at(10, 3), false, 10_600)).toHaveLength(1);
  });

  it('forgets partitions the consumer no longer has', () => {
    const watch = createStallWatch(1000);
    watch.observe(at(10, 3), false, 0);
    expect(watch.observe([], false, 5000)).toEqual([]);
    expect(watch.observe(at(10, 3), false, 5500)).toEqual([]);
  });
});
