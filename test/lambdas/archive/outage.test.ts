/**
 * The archive step's outage decisions (lambdas/archive/outage.ts): how long it waits after each failure, where (in
 * the function or in the workflow), and when the evidence window makes it give up — Retry-After in both of its forms,
 * absent and absurd, S3's SlowDown without one.
 */
import { S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { OUTAGE, afterFailure, budgetSeconds, isOutageFailure, waitSecondsAfter, type FailureInput } from '../../../lambdas/archive/outage';
import { ProviderContractError, ProviderUnavailableError } from '../../../lambdas/common/errors';
import { parseRetryAfter } from '../../../lambdas/common/http';
import { StorageUnavailableError, storageErrorFrom } from '../../../lambdas/common/storage-errors';

const NOW = new Date('2026-03-19T10:40:00.000Z');
const minutesBefore = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();
const LOTS_OF_TIME = 280_000;

/** A provider answer with this Retry-After header, as lambdas/common/http.ts turns it into an error. */
function providerError(status: number, retryAfter?: string): ProviderUnavailableError {
  return new ProviderUnavailableError(`liveness: HTTP ${status}`, { statusCode: status, retryAfterSeconds: parseRetryAfter(retryAfter, NOW.getTime()) });
}

/** S3's 503 SlowDown as the store maps it: retryable. */
function slowDown(): StorageUnavailableError {
  const error = storageErrorFrom(new S3ServiceException({ name: 'SlowDown', $fault: 'server', $metadata: { httpStatusCode: 503 }, message: 'Please reduce your request rate.' }), 'S3 PutObject');
  if (!(error instanceof StorageUnavailableError)) throw new Error('SlowDown must be retryable');
  return error;
}

const decide = (input: Partial<FailureInput> & Pick<FailureInput, 'error'>) =>
  afterFailure({ provider: 'liveness', now: NOW, timeLeftMs: LOTS_OF_TIME, ...input });

describe('waitSecondsAfter', () => {
  it('honours Retry-After in seconds', () => {
    expect(waitSecondsAfter(providerError(429, '120'), 1)).toBe(120);
    expect(waitSecondsAfter(providerError(503, '3'), 7)).toBe(3);
  });

  it('honours Retry-After as an HTTP-date, counted from now', () => {
    const inTwoMinutes = new Date(NOW.getTime() + 120_000).toUTCString();
    expect(inTwoMinutes).toMatch(/GMT$/);
    expect(waitSecondsAfter(providerError(503, inTwoMinutes), 1)).toBe(120);
    // A date already past means "now": at least a second, never a hammering loop.
    expect(waitSecondsAfter(providerError(503, new Date(NOW.getTime() - 60_000).toUTCString()), 1)).toBe(1);
  });

  it('without Retry-After (or with one it cannot read), its own backoff: 2 s doubling to 60 s', () => {
    for (const header of [undefined, 'soon', '-5', '1.5', 'Tue, 99 Foo 2026 GMT']) {
      expect([1, 2, 3, 4, 5, 6, 7, 20].map((n) => waitSecondsAfter(providerError(503, header), n)), String(header)).toEqual([2, 4, 8, 16, 32, 60, 60, 60]);
    }
  });

  it('an absurd Retry-After (a day, a year ahead) is capped: the check must not sleep past its window', () => {
    expect(waitSecondsAfter(providerError(429, '86400'), 1)).toBe(OUTAGE.maxWaitSeconds);
    expect(waitSecondsAfter(providerError(429, new Date(NOW.getTime() + 365 * 86_400_000).toUTCString()), 1)).toBe(OUTAGE.maxWaitSeconds);
    expect(waitSecondsAfter(providerError(429, '0'), 1)).toBe(1);
  });

  it('S3 SlowDown and throttling carry no Retry-After: the backoff', () => {
    const error = slowDown();
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect([1, 2, 3].map((n) => waitSecondsAfter(error, n))).toEqual([2, 4, 8]);
  });
});

describe('budgetSeconds', () => {
  it('unknown completion: the whole budget from the first failure', () => {
    expect(budgetSeconds('liveness', NOW.toISOString(), undefined)).toBe(OUTAGE.budgetSeconds);
    expect(budgetSeconds('kyc', NOW.toISOString(), 'not a date')).toBe(OUTAGE.budgetSeconds);
  });

  it('known completion: up to the end of the image window, at least the minimum for the answer', () => {
    expect(budgetSeconds('liveness', NOW.toISOString(), minutesBefore(10))).toBe(20 * 60);
    expect(budgetSeconds('kyc', NOW.toISOString(), minutesBefore(28))).toBe(OUTAGE.minBudgetSeconds);
    expect(budgetSeconds('kyc', NOW.toISOString(), minutesBefore(120))).toBe(OUTAGE.minBudgetSeconds);
  });

  it('a completion the provider dates after the outage began gains nothing, and verification has no image window', () => {
    expect(budgetSeconds('liveness', NOW.toISOString(), new Date(NOW.getTime() + 3_600_000).toISOString())).toBe(OUTAGE.budgetSeconds);
    expect(budgetSeconds('verification', NOW.toISOString(), minutesBefore(29))).toBe(OUTAGE.budgetSeconds);
  });
});

describe('afterFailure', () => {
  it('only provider unavailability and retryable storage failures are an outage', () => {
    expect(isOutageFailure(providerError(503))).toBe(true);
    expect(isOutageFailure(slowDown())).toBe(true);
    expect(isOutageFailure(new ProviderContractError('liveness: unexpected HTTP 418'))).toBe(false);
    expect(isOutageFailure(new Error('boom'))).toBe(false);
  });

  it('a short wait is slept in the function while its time allows another attempt', () => {
    const decision = decide({ error: providerError(503) });
    expect(decision).toEqual({
      kind: 'wait-here',
      waitMs: 2_000,
      outage: { since: NOW.toISOString(), failures: 1, waitedSeconds: 2, lastError: 'ProviderUnavailableError: liveness: HTTP 503' },
    });
    // The same wait with too little of the invocation left goes to the workflow.
    expect(decide({ error: providerError(503), timeLeftMs: OUTAGE.attemptReserveMs }).kind).toBe('hand-back');
  });

  it('a longer wait (Retry-After: 120) is handed back to the workflow with what to remember', () => {
    const first = decide({ error: providerError(429, '120') });
    expect(first).toMatchObject({ kind: 'hand-back', waitSeconds: 120, outage: { failures: 1, waitedSeconds: 120 } });
    const later = new Date(NOW.getTime() + 121_000);
    const second = decide({ error: slowDown(), outage: first.outage, now: later });
    expect(second).toMatchObject({ kind: 'wait-here', waitMs: 4_000, outage: { since: NOW.toISOString(), failures: 2, waitedSeconds: 124 } });
    expect(second.outage.lastError).toBe('StorageUnavailableError: S3 PutObject failed: SlowDown (HTTP 503)');
  });

  it('keeps trying through 25 minutes of outage, and gives up once the window has closed', () => {
    let outage: FailureInput['outage'];
    let at = NOW.getTime();
    const seen: string[] = [];
    for (;;) {
      const decision = decide({ error: providerError(503), ...(outage ? { outage } : {}), now: new Date(at) });
      seen.push(decision.kind);
      outage = decision.outage;
      if (decision.kind === 'give-up') {
        expect(decision.reason).toMatch(/^outage outlasted the evidence window: \d+ failed attempts over 30 min, the archive step's outage budget of 30 min is spent; last: ProviderUnavailableError: liveness: HTTP 503$/);
        break;
      }
      at += decision.kind === 'wait-here' ? decision.waitMs : decision.waitSeconds * 1000;
    }
    const minutes = (at - NOW.getTime()) / 60_000;
    expect(minutes).toBeGreaterThan(25);
    expect(minutes).toBeCloseTo(30, 0);
    // Short waits stay in the function; the rest are the workflow's, and the last one ends at the window's end.
    expect(seen.slice(0, 2)).toEqual(['wait-here', 'wait-here']);
    expect(seen.filter((kind) => kind === 'hand-back').length).toBeGreaterThan(25);
  });

  it('a wait that would end past the window is cut to its end: one last try before the evidence is gone', () => {
    const outage = { since: minutesBefore(29), failures: 9, waitedSeconds: 29 * 60, lastError: 'x' };
    expect(decide({ error: providerError(429, '300'), outage })).toMatchObject({ kind: 'hand-back', waitSeconds: 60 });
    const completedLongAgo = decide({ error: providerError(503), outage: { ...outage, since: minutesBefore(6) }, completedAt: minutesBefore(40) });
    expect(completedLongAgo.kind).toBe('give-up');
    if (completedLongAgo.kind === 'give-up') expect(completedLongAgo.reason).toContain(`the image window (about 30 min after completion at ${minutesBefore(40)}) has closed`);
  });

  it('time passed is the clock\'s, or the waits asked for when that is more (a Wait state never ends early)', () => {
    const outage = { since: NOW.toISOString(), failures: 30, waitedSeconds: OUTAGE.budgetSeconds, lastError: 'x' };
    // The clock says no time passed (local mode runs Wait states faster than real time): the waits count.
    expect(decide({ error: providerError(503), outage }).kind).toBe('give-up');
    expect(decide({ error: providerError(503), outage: { ...outage, waitedSeconds: 0 }, now: new Date(NOW.getTime() + OUTAGE.budgetSeconds * 1000) }).kind).toBe('give-up');
    expect(decide({ error: providerError(503), outage: { ...outage, waitedSeconds: 60 } }).kind).not.toBe('give-up');
  });
});
