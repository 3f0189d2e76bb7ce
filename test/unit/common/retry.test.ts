import { describe, expect, it } from 'vitest';
import { ClickHouseError, DecodeError, backoffDelayMs, retry } from '../../../services/common/index.js';

const noWait = { sleep: async () => {}, random: () => 0.5 };

describe('retry', () => {
  it('retries retriable errors until the call succeeds', async () => {
    let calls = 0;
    const result = await retry(async () => {
      if (++calls < 3) throw new ClickHouseError('down', {}, { retriable: true });
      return 'ok';
    }, noWait);
    expect(result).toBe('ok');
    expect(calls).toBe(3);
  });

  it('does not retry errors that are not retriable, nor TypeErrors', async () => {
    let calls = 0;
    await expect(retry(async () => { calls++; throw new DecodeError('bad'); }, noWait)).rejects.toThrow('bad');
    await expect(retry(async () => { calls++; throw new TypeError('bug'); }, { ...noWait, shouldRetry: () => true })).rejects.toThrow('bug');
    expect(calls).toBe(1 + 5 + 1);
  });

  it('stops at once when the call bails', async () => {
    let calls = 0;
    await expect(retry(async (bail) => { calls++; bail(new Error('give up')); }, { ...noWait, shouldRetry: () => true })).rejects.toThrow('give up');
    expect(calls).toBe(1);
  });

  it('gives up after the configured number of retries', async () => {
    let calls = 0;
    await expect(retry(async () => { calls++; throw new ClickHouseError('down', {}, { retriable: true }); }, { ...noWait, retries: 2 })).rejects.toThrow('down');
    expect(calls).toBe(3);
  });

  it('backs off exponentially with jitter, capped', () => {
    const opts = { initialDelayMs: 100, factor: 2, maxDelayMs: 1000, jitter: 0.2 };
    expect(backoffDelayMs(1, opts, () => 0.5)).toBe(100);
    expect(backoffDelayMs(3, opts, () => 0.5)).toBe(400);
    expect(backoffDelayMs(10, opts, () => 0.5)).toBe(1000);
    expect(backoffDelayMs(1, opts, () => 0)).toBe(80);
    expect(backoffDelayMs(1, opts, () => 1)).toBe(120);
  });

  it('stops waiting when its signal aborts', async () => {
    const ac = new AbortController();
    const p = retry(async () => { throw new ClickHouseError('down', {}, { retriable: true }); }, { retries: Infinity, initialDelayMs: 10_000, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stopping')), 20);
    await expect(p).rejects.toThrow('stopping');
  });

  it('does not start another attempt once aborted, and reports the last failure', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stopping'));
    let calls = 0;
    await expect(retry(async () => { calls++; throw new ClickHouseError('down', {}, { retriable: true }); }, { ...noWait, signal: ac.signal })).rejects.toThrow('down');
    expect(calls).toBe(1);
  });
});
