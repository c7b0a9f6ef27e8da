import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CheckStatus } from '../../../lambdas/checks/check-status';
import { decideNextPoll, type PollObservation } from '../../../lambdas/polling/next-poll';
import { backoffSeconds, DEFAULT_POLLING_POLICY, pollingPolicySchema } from '../../../lambdas/polling/polling-policy';
import type { PollOutput } from '../../../lambdas/checks/workflow-contract';

const policy = DEFAULT_POLLING_POLICY;
const t0 = new Date('2026-11-01T10:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);
const pending: PollObservation = {
  kind: 'status',
  status: { kind: 'pending', provider: 'liveness', providerStatus: 'in_progress', times: {} },
};

/** Runs the poll loop as the state machine would, for a check that stays pending. */
function simulatePending(provider: 'liveness' | 'kyc', polls: number) {
  let previous: PollOutput | undefined;
  let clock = 0;
  const waits: number[] = [];
  for (let i = 0; i < polls; i++) {
    const next = decideNextPoll({ policy, provider, previous, observation: pending, now: at(clock) });
    if (!next || next.state !== 'pending') return { waits, last: next, clock };
    waits.push(next.waitSeconds);
    clock += next.waitSeconds;
    previous = next;
  }
  return { waits, last: previous, clock };
}

describe('backoff', () => {
  it('polls every 3 s for the first ten minutes, then grows by the factor to the 60 s cap', () => {
    const { waits } = simulatePending('liveness', 250);
    expect(waits.slice(0, 200)).toEqual(Array(200).fill(3));
    let elapsed = 0;
    for (const wait of waits) {
      expect(wait).toBeLessThanOrEqual(elapsed < 600 ? 3 : 60);
      elapsed += wait;
    }
    expect(waits.slice(200, 204)).toEqual([60, 60, 60, 60]);
    expect(waits).toEqual([...waits].sort((a, b) => a - b));
  });

  it('backs off on transient errors in a row from initialSeconds to maxSeconds, fast phase or not', () => {
    let previous: PollOutput | undefined;
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      previous = decideNextPoll({ policy, provider: 'liveness', previous, observation: { kind: 'transient', statusCode: 503 }, now: t0 });
      waits.push(previous!.waitSeconds);
    }
    expect(waits).toEqual([3, 6, 12, 24, 48, 60, 60, 60]);
    // Thirty in a row ride out about half an hour of outage.
    const outage = waits.slice(0, 5).reduce((a, b) => a + b, 0) + 25 * 60;
    expect(outage).toBeGreaterThan(25 * 60);
  });

  it('never exceeds the cap, whatever the policy', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        fc.integer({ min: 10, max: 600 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 0, max: 100_000 }),
        (initialSeconds, factor, maxSeconds, attempt, elapsed) => {
          const p = pollingPolicySchema.parse({ initialSeconds, factor, maxSeconds, fastMaxSeconds: Math.min(14, maxSeconds) });
          const w = backoffSeconds(p, attempt, elapsed);
          return Number.isInteger(w) && w >= 1 && w <= (elapsed < p.fastPhaseSeconds ? p.fastMaxSeconds : maxSeconds);
        },
      ),
    );
  });
});

describe('decideNextPoll', () => {
  it('routes terminal statuses without waiting', () => {
    const complete: CheckStatus = {
      kind: 'complete', provider: 'liveness', providerStatus: 'complete', times: {}, outcome: 'passed', result: {},
    };
    const noResult: CheckStatus = {
      kind: 'no-result', provider: 'liveness', providerStatus: '410', times: {}, reason: 'expired', detail: 'expired',
    };
    expect(decideNextPoll({ policy, provider: 'liveness', observation: { kind: 'status', status: complete }, now: t0 }))
      .toMatchObject({ state: 'complete', attempt: 1, firstPolledAt: t0.toISOString() });
    expect(decideNextPoll({ policy, provider: 'liveness', observation: { kind: 'status', status: noResult }, now: t0 }))
      .toMatchObject({ state: 'no-result', providerStatus: '410' });
  });

  it('times out once the provider polling budget is spent, far below the poll cap', () => {
    const { last, clock, waits } = simulatePending('liveness', 10_000);
    expect(last?.state).toBe('timed-out');
    expect(clock).toBeGreaterThanOrEqual(policy.maxPollingSeconds.liveness);
    expect(clock).toBeLessThanOrEqual(policy.maxPollingSeconds.liveness + policy.maxSeconds);
    // 200 polls of the fast phase, then one a minute.
    expect(waits.length).toBeLessThan(300);
    expect(waits.length).toBeLessThan(policy.maxPolls);
  });

  it('follows a week-long escalation at the review pace within the poll cap', () => {
    expect(policy.maxEscalationSeconds / policy.escalationSeconds).toBeLessThanOrEqual(policy.maxPolls);
  });

  it('times out at the poll cap even inside the time budget', () => {
    const small = pollingPolicySchema.parse({ maxPolls: 3 });
    let previous: PollOutput | undefined;
    const states: string[] = [];
    for (let i = 0; i < 3; i++) {
      previous = decideNextPoll({ policy: small, provider: 'kyc', previous, observation: pending, now: t0 });
      states.push(previous!.state);
    }
    expect(states).toEqual(['pending', 'pending', 'timed-out']);
  });

  it('honours Retry-After and gives up after too many consecutive transient errors', () => {
    let previous = decideNextPoll({ policy, provider: 'kyc', observation: { kind: 'transient', retryAfterSeconds: 30 }, now: t0 });
    expect(previous).toMatchObject({ state: 'pending', waitSeconds: 30, transientErrors: 1 });
    for (let i = 1; i < policy.maxTransientErrors; i++) {
      previous = decideNextPoll({ policy, provider: 'kyc', previous, observation: { kind: 'transient' }, now: t0 });
    }
    expect(previous?.transientErrors).toBe(policy.maxTransientErrors);
    expect(decideNextPoll({ policy, provider: 'kyc', previous, observation: { kind: 'transient' }, now: t0 })).toBeUndefined();
    // A good answer resets the count.
    expect(decideNextPoll({ policy, provider: 'kyc', previous, observation: pending, now: t0 })?.transientErrors).toBe(0);
  });

  it('caps an absurd Retry-After', () => {
    const next = decideNextPoll({ policy, provider: 'kyc', observation: { kind: 'transient', retryAfterSeconds: 86_400 }, now: t0 });
    expect(next?.waitSeconds).toBe(900);
  });

  it('looks again right when a KYC session runs out of time to live', () => {
    const kycPending: PollObservation = {
      kind: 'status',
      status: { kind: 'pending', provider: 'kyc', providerStatus: 'processing', times: {}, secondsToLive: 1.2 },
    };
    const previous = { attempt: 9, firstPolledAt: t0.toISOString(), waitSeconds: 60, providerStatus: 'processing', state: 'pending', transientErrors: 0 } as const;
    expect(decideNextPoll({ policy, provider: 'kyc', previous, observation: kycPending, now: t0 })?.waitSeconds).toBe(3);
  });

  it('polls an escalation slowly, right after its deadline, on past it, and gives up only at the escalation ceiling', () => {
    const escalated = (deadline?: Date): PollObservation => ({
      kind: 'status',
      status: {
        kind: 'escalated', provider: 'verification', providerStatus: 'escalated', times: {}, outcome: 'uncertain', result: {},
        escalation: { reason: 'low_confidence', priority: 'high', ...(deadline ? { deadline: deadline.toISOString() } : {}), status: 'pending' },
      },
    });
    const far = decideNextPoll({ policy, provider: 'verification', observation: escalated(at(86_400)), now: t0 });
    expect(far).toMatchObject({ state: 'escalated', waitSeconds: policy.escalationSeconds });
    const near = decideNextPoll({ policy, provider: 'verification', observation: escalated(at(40)), now: t0 });
    expect(near).toMatchObject({ state: 'escalated', waitSeconds: 41 });
    // Reviews overrun their deadlines: two days late, past the 24 h verification budget, it is still followed...
    const firstPolledAt = t0.toISOString();
    const previous = { state: 'escalated', attempt: 50, firstPolledAt, waitSeconds: 900, providerStatus: 'escalated', transientErrors: 0 } as const;
    const late = decideNextPoll({ policy, provider: 'verification', previous, observation: escalated(at(-2 * 86_400)), now: at(3 * 86_400) });
    expect(late).toMatchObject({ state: 'escalated', waitSeconds: policy.escalationSeconds });
    // ...and one without a deadline at all, too...
    expect(decideNextPoll({ policy, provider: 'verification', observation: escalated(), now: t0 })).toMatchObject({ state: 'escalated' });
    // ...up to the ceiling (7 days by default), when polling ends and the archive refreshes the record.
    const ceiling = decideNextPoll({ policy, provider: 'verification', previous, observation: escalated(at(-6 * 86_400)), now: at(policy.maxEscalationSeconds + 1) });
    expect(ceiling).toMatchObject({ state: 'timed-out', providerStatus: 'escalated' });
  });

  it('rejects malformed policies', () => {
    expect(() => pollingPolicySchema.parse({ initialSeconds: 0 })).toThrow();
    expect(() => pollingPolicySchema.parse({ initialSeconds: 10, maxSeconds: 5 })).toThrow();
    expect(() => pollingPolicySchema.parse({ unknown: 1 })).toThrow();
  });
});

describe('decideNextPoll during a review', () => {
  it('keeps an escalated check escalated through a transient provider error, so the review loop goes on', () => {
    const escalated: PollOutput = { state: 'escalated', attempt: 4, firstPolledAt: t0.toISOString(), waitSeconds: 900, providerStatus: 'escalated', transientErrors: 0 };
    const next = decideNextPoll({ policy, provider: 'verification', previous: escalated, observation: { kind: 'transient', statusCode: 503 }, now: at(1000) });
    expect(next).toMatchObject({ state: 'escalated', attempt: 5, transientErrors: 1, providerStatus: 'escalated' });
    const pendingBefore: PollOutput = { ...escalated, state: 'pending', providerStatus: 'processing' };
    expect(decideNextPoll({ policy, provider: 'verification', previous: pendingBefore, observation: { kind: 'transient' }, now: at(1000) })?.state).toBe('pending');
  });
});
