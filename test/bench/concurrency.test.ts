import { describe, expect, it } from 'vitest';
import { busySeconds, concurrencyAt } from '../../bench/polling/concurrency';
import { createRng } from '../../local/reliability/rng';

describe('concurrencyAt', () => {
  it('gives the mean by Little’s law, and a Monte Carlo window that agrees with it', () => {
    // Each check is busy 1 s at its start and 1 s an hour later: 2 busy seconds per check.
    const checks = [[[0, 1], [3_600, 3_601]] as const];
    expect(busySeconds(checks[0]!)).toBe(2);
    const figures = concurrencyAt(checks, { rate: 10, windowSeconds: 600, binSeconds: 0.1, rng: createRng(1) });
    expect(figures.mean).toBe(20);
    // The checks that started an hour before the window count as much as the new ones.
    expect(figures.windowMean).toBeGreaterThan(18);
    expect(figures.windowMean).toBeLessThan(22);
    expect(figures.peak).toBeGreaterThan(figures.windowMean);
  });

  it('is deterministic for a seed, and zero for checks that are never busy', () => {
    const checks = [[[0, 0.2], [5, 5.2]] as const, [[1, 1.1]] as const];
    const options = { rate: 100, windowSeconds: 60, binSeconds: 0.1 };
    expect(concurrencyAt(checks, { ...options, rng: createRng(7) })).toEqual(concurrencyAt(checks, { ...options, rng: createRng(7) }));
    expect(concurrencyAt([[]], { ...options, rng: createRng(7) })).toMatchObject({ mean: 0, peak: 0, windowMean: 0 });
  });
});
