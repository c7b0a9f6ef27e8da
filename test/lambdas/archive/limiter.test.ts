import { describe, expect, it } from 'vitest';
import { createLimiter } from '../../../lambdas/archive/limiter';

describe('createLimiter', () => {
  it('never runs more than `concurrency` tasks at once, runs them all, and passes results and errors through', async () => {
    const limit = createLimiter(2);
    let running = 0;
    let peak = 0;
    const task = (value: number) =>
      limit(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setImmediate(resolve));
        running--;
        if (value === 3) throw new Error('three');
        return value * 10;
      });
    const results = await Promise.allSettled([1, 2, 3, 4, 5, 6].map(task));
    expect(peak).toBe(2);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([10, 20, 'three', 40, 50, 60]);
    // A newcomer arriving while a slot is handed over does not exceed the bound.
    peak = 0;
    await Promise.all([task(1), task(2), task(4)].concat([task(5)]));
    expect(peak).toBe(2);
  });
});
