/**
 * Benchmark 1 — polling economy on a virtual clock. Each seed draws a workload (bench/polling/workload.ts) and runs
 * it through the synthesized state machine under every policy in its own child process (bench/polling/seed.ts);
 * the seeds run side by side; the report takes the median over seeds of every figure.
 */
import { runInChild } from './lib/child';
import { medianOfRuns } from './lib/stats';
import type { ConcurrencyFigures } from './polling/concurrency';
import type { FiguresByScope, SeedInput, SeedResult, StrategyInfo } from './polling/seed';
import type { WorkloadSizes } from './polling/workload';

export interface PollingOptions {
  seeds: number[];
  sizes: WorkloadSizes;
  timeFactor: number;
  /** Seeds simulated at once (each a child process). */
  parallel: number;
  /** Checks per second for the concurrency figures. */
  arrivalRate: number;
}

export interface PollingResult {
  options: PollingOptions;
  deployedPolicy: SeedResult['deployedPolicy'];
  strategies: StrategyInfo[];
  /** Median over seeds, per strategy id. */
  median: Record<string, FiguresByScope>;
  /** Median over seeds: the poll function's concurrency at options.arrivalRate. */
  concurrency: Record<string, ConcurrencyFigures>;
  seeds: SeedResult[];
}

export async function benchmarkPolling(options: PollingOptions): Promise<PollingResult> {
  const queue = [...options.seeds];
  const results: SeedResult[] = [];
  const worker = async () => {
    for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
      const input: SeedInput = { seed, sizes: options.sizes, timeFactor: options.timeFactor, arrivalRate: options.arrivalRate };
      const result = await runInChild<SeedResult>('../polling/seed.ts', input, { nodeFlags: ['--max-old-space-size=8192'] });
      const slowest = Object.entries(result.realSeconds).sort((a, b) => b[1] - a[1])[0];
      process.stderr.write(`  polling: seed ${seed} done (slowest ${slowest?.[0]} ${slowest?.[1].toFixed(0)} s, peak RSS ${result.peakRssMiB.toFixed(0)} MiB)\n`);
      results.push(result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.parallel) }, worker));
  results.sort((a, b) => a.seed - b.seed);
  const first = results[0]!;
  const median = Object.fromEntries(first.strategies.map((s) => [s.id, medianOfRuns(results.map((r) => r.figures[s.id]!))]));
  const concurrency = Object.fromEntries(Object.keys(first.concurrency).map((id) => [id, medianOfRuns(results.map((r) => r.concurrency[id]!))]));
  return { options, deployedPolicy: first.deployedPolicy, strategies: first.strategies, median, concurrency, seeds: results };
}
