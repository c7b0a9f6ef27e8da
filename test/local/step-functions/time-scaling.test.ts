import { describe, expect, it } from 'vitest';
import { parseSimplePath, resolveSimplePath } from '../../../local/step-functions/json-path';
import { scaledRetryIntervalsMs, scaledWaitMs } from '../../../local/step-functions/time-scaling';

describe('resolveSimplePath', () => {
  const doc = { poll: { waitSeconds: 30, 'odd key': [5, { deep: true }] }, zero: 0, nothing: null };

  it('reads dotted, bracketed and indexed paths', () => {
    expect(resolveSimplePath('$', doc)).toBe(doc);
    expect(resolveSimplePath('$.poll.waitSeconds', doc)).toBe(30);
    expect(resolveSimplePath("$.poll['odd key'][1].deep", doc)).toBe(true);
    expect(resolveSimplePath('$.poll["odd key"][0]', doc)).toBe(5);
    expect(resolveSimplePath('$.zero', doc)).toBe(0);
    expect(resolveSimplePath('$.nothing', doc)).toBeNull();
  });

  it('reports missing values and unsupported JSONPath features as unresolved', () => {
    expect(resolveSimplePath('$.poll.missing', doc)).toBeUndefined();
    expect(resolveSimplePath('$.poll.waitSeconds.deeper', doc)).toBeUndefined();
    expect(resolveSimplePath("$.poll['odd key'][9]", doc)).toBeUndefined();
    expect(resolveSimplePath('$.toString', doc)).toBeUndefined();
    for (const path of ['$..waitSeconds', '$.poll.*', '$.list[?(@.x)]', '$$.Execution.Id', 'poll.waitSeconds', '$.a[-1]']) {
      expect(parseSimplePath(path), path).toBeUndefined();
    }
  });
});

describe('scaledWaitMs', () => {
  const input = { poll: { waitSeconds: 60, at: '2030-01-01T00:01:40Z' }, inner: { seconds: 7 } };
  const now = Date.parse('2030-01-01T00:00:00Z');

  it('divides Seconds and SecondsPath durations by the time factor', () => {
    expect(scaledWaitMs({ Type: 'Wait', Seconds: 10 }, undefined, 1000, now)).toBe(10);
    expect(scaledWaitMs({ Type: 'Wait', SecondsPath: '$.poll.waitSeconds' }, input, 1000, now)).toBe(60);
    expect(scaledWaitMs({ Type: 'Wait', SecondsPath: '$.poll.waitSeconds' }, input, 1, now)).toBe(60_000);
    expect(scaledWaitMs({ Type: 'Wait', SecondsPath: '$.seconds', InputPath: '$.inner' }, input, 100, now)).toBe(70);
  });

  it('scales the time remaining until a Timestamp or TimestampPath', () => {
    expect(scaledWaitMs({ Type: 'Wait', TimestampPath: '$.poll.at' }, input, 100, now)).toBe(1000);
    expect(scaledWaitMs({ Type: 'Wait', Timestamp: '2029-12-31T00:00:00Z' }, undefined, 100, now)).toBe(0);
  });

  it('leaves unreadable durations to the library (which raises the AWS error)', () => {
    expect(scaledWaitMs({ Type: 'Wait', SecondsPath: '$.poll.missing' }, input, 1000, now)).toBeUndefined();
    expect(scaledWaitMs({ Type: 'Wait', SecondsPath: '$.poll.at' }, input, 1000, now)).toBeUndefined();
    expect(scaledWaitMs({ Type: 'Wait', SecondsPath: '$.poll.waitSeconds' }, undefined, 1000, now)).toBeUndefined();
    expect(scaledWaitMs({ Type: 'Wait', SecondsPath: '$..waitSeconds' }, input, 1000, now)).toBeUndefined();
  });
});

describe('scaledRetryIntervalsMs', () => {
  it('keeps the exponential backoff per retrier and caps it at MaxDelaySeconds', () => {
    const retriers = [
      { ErrorEquals: ['A'], IntervalSeconds: 2, BackoffRate: 2 },
      { ErrorEquals: ['B'], IntervalSeconds: 10, BackoffRate: 3, MaxDelaySeconds: 50 },
      { ErrorEquals: ['C'] },
    ];
    expect(scaledRetryIntervalsMs(retriers, [], 1000)).toEqual([2, 10, 1]);
    expect(scaledRetryIntervalsMs(retriers, [3, 1, 2], 1000)).toEqual([16, 30, 4]);
    expect(scaledRetryIntervalsMs(retriers, [0, 2], 1)).toEqual([2000, 50_000, 1000]);
  });

  it('applies FULL jitter to the scaled interval', () => {
    const retriers = [{ ErrorEquals: ['A'], IntervalSeconds: 4, JitterStrategy: 'FULL' as const }];
    expect(scaledRetryIntervalsMs(retriers, [1], 10, () => 0.25)).toEqual([200]);
  });
});
