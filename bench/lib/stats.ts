/** Summary statistics for benchmark samples. Pure. */

/** The p-th percentile (0–100) by linear interpolation between closest ranks; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError('percentile must be within 0..100');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sorted[low]!;
  return lowValue + (sorted[high]! - lowValue) * (rank - low);
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export function mean(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  return samples.reduce((sum, value) => sum + value, 0) / samples.length;
}

export function max(samples: readonly number[]): number {
  return samples.length === 0 ? Number.NaN : samples.reduce((a, b) => (b > a ? b : a), -Infinity);
}

export interface Distribution {
  n: number;
  p50: number;
  p95: number;
  max: number;
}

export function distribution(samples: readonly number[]): Distribution {
  return { n: samples.length, p50: percentile(samples, 50), p95: percentile(samples, 95), max: max(samples) };
}

/**
 * The median of each numeric field over several runs of the same measurement (fields missing or non-numeric in a
 * run are skipped; nested objects are merged the same way). Used to report "median of N runs".
 */
export function medianOfRuns<T>(runs: readonly T[]): T {
  if (runs.length === 0) throw new RangeError('no runs');
  const first = runs[0] as unknown;
  if (typeof first === 'number') return median(runs as unknown as number[]) as T;
  if (first === null || typeof first !== 'object' || Array.isArray(first)) return first as T;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(first as object)) {
    const values = runs.map((run) => (run as Record<string, unknown>)[key]).filter((value) => value !== undefined);
    out[key] = medianOfRuns(values);
  }
  return out as T;
}
