/**
 * Benchmark 3 — end-to-end local throughput: checks per minute through local mode (startLocalStack: one per
 * process, hence a child) with zero-wait providers; median over batches after a warm-up batch.
 */
import { runInChild } from './lib/child';
import { median } from './lib/stats';
import type { E2eInput, E2eResult } from './e2e/run-stack';

export interface E2eFigures extends E2eResult {
  options: E2eInput;
  checksPerMinute: number;
  submitMsMedian: number;
  problems: number;
}

export async function benchmarkE2e(options: E2eInput): Promise<E2eFigures> {
  const result = await runInChild<E2eResult>('../e2e/run-stack.ts', options);
  return {
    ...result,
    options,
    checksPerMinute: median(result.batches.map((b) => b.checksPerMinute)),
    submitMsMedian: median(result.batches.map((b) => b.submitMsMedian)),
    problems: result.batches.reduce((sum, b) => sum + b.problems, 0),
  };
}
