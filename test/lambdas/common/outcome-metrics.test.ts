/**
 * The outcome metrics through a real Powertools Metrics instance: what it writes to stdout (EMF) is what CloudWatch
 * would ingest, so the assertions read that line back.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { METRIC } from '../../../lambdas/common/metric-names';
import { countOutcome, publishMetrics } from '../../../lambdas/common/outcome-metrics';
import type { ArchiveOutput } from '../../../lambdas/checks/workflow-contract';

interface Emitted {
  /** EMF lines written to stdout, parsed. */
  lines: Array<Record<string, any>>;
  /** Anything written to stderr (Powertools' warnings). */
  stderr: string;
}

afterEach(() => {
  vi.restoreAllMocks();
});

function newMetrics(): Metrics {
  return new Metrics({ namespace: 'AuditArchiverTest', serviceName: 'metrics-test' });
}

/** Runs `publish` with stdout and stderr captured. */
function capture(publish: () => void): Emitted {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => (out.push(String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => (err.push(String(chunk)), true));
  try {
    publish();
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  const lines = out.join('').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Record<string, any>);
  return { lines, stderr: err.join('') };
}

/** Name → { unit, value } of the one EMF line an outcome publishes ({} when nothing is published). */
function published(output: ArchiveOutput, durationMs?: number): Record<string, { unit: string; value: unknown }> {
  const metrics = newMetrics();
  const { lines, stderr } = capture(() => {
    countOutcome(metrics, output, durationMs);
    publishMetrics(metrics);
  });
  expect(stderr).toBe('');
  if (lines.length === 0) return {};
  expect(lines).toHaveLength(1);
  const [line] = lines as [Record<string, any>];
  const [directive] = line._aws.CloudWatchMetrics;
  expect(directive.Namespace).toBe('AuditArchiverTest');
  expect(directive.Dimensions).toEqual([['service']]);
  expect(line.service).toBe('metrics-test');
  return Object.fromEntries(directive.Metrics.map((metric: { Name: string; Unit: string }) => [metric.Name, { unit: metric.Unit, value: line[metric.Name] }]));
}

const count = (value: number) => ({ unit: 'Count', value });

describe('countOutcome', () => {
  it('archived: the check, its images (documents not counted) and bytes, and the duration', () => {
    expect(published({ status: 'archived', objects: 7, images: 4, bytes: 12_345 }, 850)).toEqual({
      [METRIC.checksArchived]: count(1),
      [METRIC.imagesArchived]: count(4),
      [METRIC.bytesArchived]: { unit: 'Bytes', value: 12_345 },
      [METRIC.archiveDurationMs]: { unit: 'Milliseconds', value: 850 },
    });
  });

  it('archived-partial with a window miss: missing images counted, and one window miss', () => {
    expect(published({ status: 'archived-partial', objects: 4, images: 1, bytes: 900, imagesMissing: 'download-failed,window-passed', imagesMissingCount: 4 })).toEqual({
      [METRIC.checksPartiallyArchived]: count(1),
      [METRIC.imagesArchived]: count(1),
      [METRIC.bytesArchived]: { unit: 'Bytes', value: 900 },
      [METRIC.imagesMissing]: count(4),
      [METRIC.windowMisses]: count(1),
    });
  });

  it.each(['rejected', 'refused,download-failed', 'window-passed-not'])('no window miss when the reasons are %s', (reasons) => {
    const metrics = published({ status: 'archived-partial', objects: 2, bytes: 10, imagesMissing: reasons, imagesMissingCount: 1 });
    expect(metrics).not.toHaveProperty(METRIC.windowMisses);
    expect(metrics[METRIC.imagesMissing]).toEqual(count(1));
  });

  it('a verification (documents only) archives no images', () => {
    expect(published({ status: 'archived', objects: 3, images: 0, bytes: 2_000 })[METRIC.imagesArchived]).toEqual(count(0));
    expect(published({ status: 'archived', objects: 0, bytes: 0 })[METRIC.imagesArchived]).toEqual(count(0));
  });

  it('quarantined items and provider drift are counted', () => {
    expect(published({ status: 'archived-partial', objects: 5, images: 2, bytes: 10, quarantined: 2, uninterpreted: 3 })).toMatchObject({
      [METRIC.imagesQuarantined]: count(2),
      [METRIC.providerDrift]: count(1),
    });
    expect(published({ status: 'timed-out', objects: 3, bytes: 10, uninterpreted: 1 })).toMatchObject({ [METRIC.providerDrift]: count(1) });
  });

  it('escalated: nothing yet — its evidence is counted once, when the check is finally archived', () => {
    expect(published({ status: 'escalated', objects: 2, bytes: 700 }, 5)).toEqual({
      [METRIC.archiveDurationMs]: { unit: 'Milliseconds', value: 5 },
    });
  });

  it.each(['expired', 'invalid', 'not-found', 'forbidden', 'failed', 'exception'])('%s is a check without result, with no evidence counted', (status) => {
    // A KYC session that expired keeps its answer (2 documents): still not "archived bytes".
    expect(published({ status, objects: 2, bytes: 640 }, 12)).toEqual({
      [METRIC.checksWithoutResult]: count(1),
      [METRIC.archiveDurationMs]: { unit: 'Milliseconds', value: 12 },
    });
  });

  it('timed-out and error have their own counts', () => {
    expect(published({ status: 'timed-out', objects: 0, bytes: 0 })).toEqual({ [METRIC.checksTimedOut]: count(1) });
    expect(published({ status: 'error', objects: 0, bytes: 0 })).toEqual({ [METRIC.checksFailed]: count(1) });
  });

  it('an unknown status counts nothing (and publishing then writes nothing)', () => {
    expect(published({ status: 'mystery', objects: 0, bytes: 0 })).toEqual({});
  });

  it('a duration of 0 is still published', () => {
    expect(published({ status: 'error', objects: 0, bytes: 0 }, 0)[METRIC.archiveDurationMs]).toEqual({ unit: 'Milliseconds', value: 0 });
  });
});

describe('publishMetrics', () => {
  it('writes nothing, and no "empty metrics" warning, when nothing was counted', () => {
    const metrics = newMetrics();
    expect(capture(() => publishMetrics(metrics))).toEqual({ lines: [], stderr: '' });
  });

  it('publishes once and clears: a second call in the same invocation writes nothing', () => {
    const metrics = newMetrics();
    const first = capture(() => {
      countOutcome(metrics, { status: 'timed-out', objects: 0, bytes: 0 });
      countOutcome(metrics, { status: 'timed-out', objects: 0, bytes: 0 });
      publishMetrics(metrics);
    });
    expect(first.lines).toHaveLength(1);
    expect(first.lines[0]![METRIC.checksTimedOut]).toEqual([1, 1]);
    expect(capture(() => publishMetrics(metrics))).toEqual({ lines: [], stderr: '' });
  });

  it('works with any object that has the two methods (the handlers pass the shared instance)', () => {
    const calls: string[] = [];
    publishMetrics({ hasStoredMetrics: () => (calls.push('has'), false), publishStoredMetrics: () => (calls.push('publish'), undefined as never) });
    publishMetrics({ hasStoredMetrics: () => (calls.push('has'), true), publishStoredMetrics: () => (calls.push('publish'), undefined as never) });
    expect(calls).toEqual(['has', 'has', 'publish']);
  });
});

describe('countOutcome on a re-run', () => {
  it('counts only the duration when the step kept an existing record (the check was counted when it was written)', () => {
    expect(published({ status: 'archived', objects: 6, bytes: 900, recorded: false }, 7)).toEqual({
      [METRIC.archiveDurationMs]: { unit: 'Milliseconds', value: 7 },
    });
  });
});
