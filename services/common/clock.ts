/** Time source; tests pass a fake one, never the thing under test. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
