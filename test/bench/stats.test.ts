import { describe, expect, it } from 'vitest';
import { distribution, mean, median, medianOfRuns, percentile } from '../../bench/lib/stats';
import { logNormal } from '../../bench/polling/workload';
import { createRng } from '../../local/reliability/rng';

describe('percentile', () => {
  it('interpolates between closest ranks', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([10, 0, 20], 100)).toBe(20);
    expect(percentile([10, 0, 20], 0)).toBe(0);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 95)).toBeCloseTo(10.5);
  });

  it('does not reorder its input', () => {
    const samples = [3, 1, 2];
    median(samples);
    expect(samples).toEqual([3, 1, 2]);
  });

  it('is NaN without samples and refuses percentiles outside 0..100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('summarizes a distribution', () => {
    expect(distribution([5, 1, 3])).toEqual({ n: 3, p50: 3, p95: 4.8, max: 5 });
    expect(mean([1, 2, 6])).toBe(3);
  });
});

describe('medianOfRuns', () => {
  it('takes the median of every numeric field, nested objects included', () => {
    const runs = [
      { a: 1, nested: { b: 10, label: 'x' } },
      { a: 5, nested: { b: 30, label: 'y' } },
      { a: 3, nested: { b: 20, label: 'z' } },
    ];
    expect(medianOfRuns(runs)).toEqual({ a: 3, nested: { b: 20, label: 'x' } });
  });
});

describe('the workloads’ random source', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(seqA);
    for (const value of seqA) expect(value >= 0 && value < 1).toBe(true);
  });

  it('draws log-normal values around the requested median', () => {
    const rng = createRng(1);
    const samples = Array.from({ length: 4000 }, () => logNormal(rng, 25, 0.9));
    expect(median(samples)).toBeGreaterThan(22);
    expect(median(samples)).toBeLessThan(28);
  });
});
