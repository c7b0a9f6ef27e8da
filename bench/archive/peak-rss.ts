/**
 * Peak resident memory of this process over a piece of work: the kernel's high-water mark (VmHWM), reset first
 * through /proc/self/clear_refs (Linux), with a 5 ms sampler of process.memoryUsage().rss as a fallback elsewhere.
 */
import { readFileSync, writeFileSync } from 'node:fs';

function highWaterMarkBytes(): number | undefined {
  try {
    const kib = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

function resetHighWaterMark(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

export interface RssGrowth {
  baselineBytes: number;
  peakBytes: number;
  growthBytes: number;
  method: 'VmHWM' | 'sampled';
}

/** Runs `work` after a GC (needs --expose-gc) and reports the peak RSS above the RSS it started from. */
export async function measureRssGrowth(work: () => Promise<void>): Promise<RssGrowth> {
  (globalThis as { gc?: () => void }).gc?.();
  const baselineBytes = process.memoryUsage().rss;
  const kernel = resetHighWaterMark();
  let sampled = baselineBytes;
  const sampler = setInterval(() => (sampled = Math.max(sampled, process.memoryUsage().rss)), 5);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  sampled = Math.max(sampled, process.memoryUsage().rss);
  const hwm = kernel ? highWaterMarkBytes() : undefined;
  const peakBytes = hwm ?? sampled;
  return { baselineBytes, peakBytes, growthBytes: peakBytes - baselineBytes, method: hwm === undefined ? 'sampled' : 'VmHWM' };
}
