/**
 * Simulated time. Scripts and the image window are written in simulated milliseconds; `timeFactor` makes them pass
 * faster (60 → one real second is one simulated minute). A benchmark can inject its own `now` (a virtual clock).
 */
export interface SimClock {
  /** Simulated epoch milliseconds. */
  now(): number;
  readonly timeFactor: number;
}

export interface SimClockOptions {
  timeFactor?: number;
  /** Source clock in epoch ms; defaults to Date.now. */
  now?: () => number;
}

export function createSimClock({ timeFactor = 1, now = Date.now }: SimClockOptions = {}): SimClock {
  if (!Number.isFinite(timeFactor) || timeFactor <= 0) throw new RangeError('timeFactor must be a positive number');
  const origin = now();
  return {
    timeFactor,
    now: () => origin + (now() - origin) * timeFactor,
  };
}
