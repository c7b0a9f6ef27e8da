/**
 * Lambda concurrency at a stated arrival rate, from the busy intervals of the simulated checks: the mean by Little's
 * law (rate × busy seconds per check), the peak by Monte Carlo — checks arriving as a Poisson process, each one of the
 * simulated checks at random, their invocations binned over a window once every earlier check's tail is in. Pure
 * (seeded), tested in test/bench/concurrency.test.ts.
 */
import type { Rng } from '../../local/reliability/rng';

/** One check's invocations: [start, end] pairs in seconds since its creation, sorted by start. */
export type BusyIntervals = ReadonlyArray<readonly [number, number]>;

export interface ConcurrencyFigures {
  /** Checks per second. */
  rate: number;
  /** rate × mean busy seconds per check. */
  mean: number;
  /** Highest concurrency averaged over one bin of the window. */
  peak: number;
  /** The mean over the window's bins (agrees with `mean` up to noise). */
  windowMean: number;
}

export interface PeakOptions {
  rate: number;
  windowSeconds: number;
  binSeconds: number;
  rng: Rng;
}

export function busySeconds(intervals: BusyIntervals): number {
  return intervals.reduce((sum, [start, end]) => sum + (end - start), 0);
}

export function concurrencyAt(checks: readonly BusyIntervals[], { rate, windowSeconds, binSeconds, rng }: PeakOptions): ConcurrencyFigures {
  const mean = (rate * checks.reduce((sum, c) => sum + busySeconds(c), 0)) / Math.max(1, checks.length);
  const horizon = Math.max(0, ...checks.map((c) => c.reduce((end, [, e]) => Math.max(end, e), 0)));
  const bins = new Float64Array(Math.ceil(windowSeconds / binSeconds));
  // Arrivals of a Poisson process over [-horizon, window]: exponential gaps.
  for (let arrival = -horizon + exponential(rng, rate); arrival < windowSeconds; arrival += exponential(rng, rate)) {
    const intervals = checks[Math.floor(rng.next() * checks.length)];
    if (!intervals || intervals.length === 0) continue;
    let i = firstEndingAfter(intervals, -arrival);
    for (; i < intervals.length; i++) {
      const start = arrival + intervals[i]![0];
      if (start >= windowSeconds) break;
      add(bins, Math.max(0, start), Math.min(windowSeconds, arrival + intervals[i]![1]), binSeconds);
    }
  }
  let peak = 0;
  let total = 0;
  for (const busy of bins) {
    peak = Math.max(peak, busy / binSeconds);
    total += busy;
  }
  return { rate, mean, peak, windowMean: total / windowSeconds };
}

function exponential(rng: Rng, rate: number): number {
  return -Math.log(1 - rng.next()) / rate;
}

/** Index of the first interval whose end is after `t` (binary search: ends grow with starts). */
function firstEndingAfter(intervals: BusyIntervals, t: number): number {
  let low = 0;
  let high = intervals.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (intervals[mid]![1] <= t) low = mid + 1;
    else high = mid;
  }
  return low;
}

function add(bins: Float64Array, start: number, end: number, bin: number): void {
  for (let b = Math.floor(start / bin); b < bins.length && b * bin < end; b++) {
    bins[b]! += Math.min(end, (b + 1) * bin) - Math.max(start, b * bin);
  }
}
